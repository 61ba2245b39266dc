"""Spreadsheet exports: text that Excel, LibreOffice and Google Sheets show as text and never run as a formula."""
from __future__ import annotations

# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV Injection"; ASVS 5.0 1.2.10 adds NUL).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def neutralise_formula(text: str) -> str:
    """A text cell as the spreadsheet must show it: with a leading single quote when it would start a formula, like
    an organisation named =HYPERLINK(…). Spreadsheets hide the quote and show the rest as text.

    Only for text: figures are written as numbers, and a negative number is a number, not a formula. The csv module
    quotes the cell afterwards if it must, so the quote is inside the quoted cell, where spreadsheets look.
    """
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
