"""PDF certificates: the WeasyPrint renderer, its cache and process pool (`render`: plain data in, PDF bytes out),
and what a stored credential's certificate shows (`service`); the template and stylesheet in `templates/`, `static/`."""
