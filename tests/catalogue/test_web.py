"""The public catalogue pages and the shared site layout."""

from __future__ import annotations

from html.parser import HTMLParser

from base.web import language_links, render_page, template_environment
from catalogue import load_catalogue


class Page(HTMLParser):
    """Collects what a test needs to know about a page: elements with their attributes, and the text."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    @property
    def content(self) -> str:
        return " ".join(" ".join(self.text).split())


def test_browse_page_in_latvian_has_search_form_and_catalogue(client):
    response = client.get("/catalogue/browse")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = Page(response.text)
    assert page.find("html", lang="lv")
    [form] = page.find("form", role="search")
    assert form["method"] == "get" and form["action"] == "/catalogue/browse"
    assert page.find("label", **{"for": "q"}) and page.find("input", id="q", name="q", type="search")
    assert page.find("label", **{"for": "domain"}) and page.find("select", id="domain")
    assert page.find("main", id="main") and page.find("a", href="#main")
    assert "Brīvprātīgā darba kompetenču katalogs" in page.content
    assert "Brīvprātīgais ugunsdzēsējs" in page.content
    assert page.find("link", rel="stylesheet", href="/static/site.css")


def test_browse_page_in_english_with_search_results(client):
    response = client.get("/catalogue/browse", params={"q": "skolotaj", "lang": "en"})
    page = Page(response.text)
    assert page.find("html", lang="en")
    assert page.find("input", id="q", value="skolotaj")
    search = Page(client.get("/catalogue/browse", params={"q": "pirma palidziba", "lang": "en"}).text)
    assert search.find("table", id="competence-results")
    assert "provide first aid" in search.content and "sniegt pirmo palīdzību" in search.content
    assert search.find("ul", id="mission-type-results")
    assert "First aid duty at events" in search.content


def test_browse_filters_by_domain_and_says_when_nothing_matches(client):
    page = Page(client.get("/catalogue/browse", params={"domain": "animals", "lang": "en"}).text)
    assert "Animal care at a shelter" in page.content and "Volunteer firefighter" not in page.content
    assert ["selected" in option for option in page.find("option", value="animals")] == [True]
    empty = Page(client.get("/catalogue/browse", params={"q": "xyzzy", "lang": "en"}).text)
    assert "Nothing was found" in empty.content


def test_mission_type_page(client):
    page = Page(client.get("/catalogue/browse/volunteer-firefighter", params={"lang": "lv"}).text)
    assert "Brīvprātīgais ugunsdzēsējs" in page.content and "Tipiski uzdevumi" in page.content
    assert "Galvenā" in page.content and "Papildu" in page.content
    esco_links = [a["href"] for a in page.find("a", rel="external")]
    assert len(esco_links) == len(load_catalogue().mission_type("volunteer-firefighter").competences)
    assert all(href.startswith("http://data.europa.eu/esco/skill/") for href in esco_links)
    missing = client.get("/catalogue/browse/no-such-mission", params={"lang": "en"})
    assert missing.status_code == 404 and "Page not found" in Page(missing.text).content


def test_language_switch_keeps_the_path_and_query(client):
    page = Page(client.get("/catalogue/browse", params={"q": "sports", "lang": "en"}).text)
    hrefs = {a["hreflang"]: a["href"] for a in page.find("a") if "hreflang" in a and "lang" in a}
    assert hrefs == {lang: f"/catalogue/browse?q=sports&lang={lang}" for lang in ("lv", "en", "ru", "uk")}
    assert page.find("a", hreflang="en", **{"aria-current": "true"})
    assert "Latviešu English Русский Українська" in page.content  # each language named in itself


def test_static_stylesheet_is_served(client):
    response = client.get("/static/site.css")
    assert response.status_code == 200 and "--font: system-ui" in response.text


def test_other_packages_extend_the_layout(tmp_path):
    (tmp_path / "hello.html").write_text(
        '{% extends "layout.html" %}{% block title %}{{ t("site.nav_catalogue") }}{% endblock %}'
        '{% block content %}<p id="greeting">{{ name }}</p>{% endblock %}',
        encoding="utf-8",
    )
    env = template_environment([tmp_path])
    html = render_page(env, "hello.html", lang="en", url="http://x/verify/abc?lang=lv", name="Anna")
    page = Page(html)
    assert page.find("p", id="greeting") and "Anna" in page.content
    assert "Competence catalogue" in page.content and "Volunteer credentials" in page.content
    assert [link["href"] for link in language_links("http://x/verify/abc?lang=lv", "en")] == [
        "/verify/abc?lang=lv",
        "/verify/abc?lang=en",
        "/verify/abc?lang=ru",
        "/verify/abc?lang=uk",
    ]


def test_mission_types_are_named_and_found_in_russian_and_ukrainian(client):
    page = Page(client.get("/catalogue/browse", params={"q": "пожежник", "lang": "uk"}).text)
    assert "Пожежник-доброволець" in page.content and "Цивільний захист" not in page.content
    page = Page(client.get("/catalogue/browse/volunteer-firefighter", params={"lang": "ru"}).text)
    assert "Пожарный-доброволец" in page.content and "Типичные задачи" in page.content
    # Descriptions and tasks are Latvian and English only so far: the English stands in, marked as English.
    html = client.get("/catalogue/browse/volunteer-firefighter", params={"lang": "ru"}).text
    assert '<p class="lead"><span lang="en">' in html
