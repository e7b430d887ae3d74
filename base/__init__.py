"""Infrastructure every package shares, beneath the domain packages (base <- catalogue <- issuers <- credentials
<- verify): errors (`base.errors`), messages, languages, plurals, dates and numbers (`base.i18n`), the SQLAlchemy base,
engine and transactions (`base.db`), the web dependencies every router uses (`base.http`) and the site layout
(`base.web`, `templates/layout.html`, `static/site.css`). It imports no package above it.
"""
