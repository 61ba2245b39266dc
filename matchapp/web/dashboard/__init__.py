"""The dashboard area: the course-to-job funnel for consultants and admins, as a page of tables and charts
(`routes`) and as downloads, CSV per table and one workbook (`exports`)."""
from matchapp.web.dashboard import exports, routes  # noqa: F401 - registers the views on bp
from matchapp.web.dashboard.blueprint import bp  # noqa: F401 - create_app registers it
