"""Reports and statistics: an organisation's reports, a municipality's view of its territory and the public national
statistics with open data.

Rooms: periods.py (calendar periods and the pro-rata split of a record's hours by days), disclosure.py (statistical
disclosure control: primary and complementary suppression), tables.py (the report tables as plain data), charts.py
(server-drawn SVG), exports.py (CSV, XLSX), store.py (the aggregating queries), summary.py (the published figures'
exact counters, kept current in every writing transaction), service.py (use cases), api.py (JSON), pages.py (HTML,
CSV/XLSX/PDF downloads, a steward's territories), cli.py (`volcred reports rebuild`).
"""
