"""The volunteer's pages in Russian and Ukrainian: the statement form and the credentials page speak the browser's
language (or ?lang=), catalogue names in them (competence labels without ESCO's Ukrainian yet: English, marked lang="en"), and the
certificate downloads offered there (Latvian, English, Russian, Ukrainian and bilingual) work."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from catalogue import load_catalogue
from tests.credentials.records.test_drafts import invite, statement


def test_a_ukrainian_volunteer_drafts_a_statement_and_a_russian_one_reads_the_credentials(client, make_org):
    org = make_org("four-languages")
    mission = next(m for m in load_catalogue().mission_types if len(m.competences) > len(m.core_competences))
    token = invite(client, org, mission)["token"]

    form = client.get(f"/invite/{token}", headers={"Accept-Language": "uk-UA,uk;q=0.9,ru;q=0.8,en;q=0.7"})
    assert form.status_code == 200 and '<html lang="uk">' in form.text
    assert "Ваша заява про волонтерську роботу" in form.text and "Зберегти чернетку" in form.text
    assert 'hreflang="lv"' in form.text and f'href="/invite/{token}?lang=ru"' in form.text  # the switch keeps the page

    saved = client.put(f"/invitations/{token}/statement?lang=uk", json=statement(mission, hours="0"))
    assert saved.status_code == 422
    assert any(error["message"] == "Кількість годин має бути більшою за нуль." for error in saved.json()["errors"])
    saved = client.put(f"/invitations/{token}/statement", json=statement(mission))
    link = urlsplit(saved.json()["volunteer_link"]).path
    record_id = saved.json()["statement"]["id"]
    assert client.post(f"/invitations/{token}/submit").status_code == 200
    assert client.post(f"/records/{record_id}/approve", headers=org.headers()).status_code == 200
    assert client.post(f"/records/{record_id}/issue", headers=org.headers()).status_code == 201

    page = client.get(link, headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert page.status_code == 200 and '<html lang="ru">' in page.text
    assert "Мои удостоверения" in page.text and "Всего в действительных удостоверениях: 18,5 часа" in page.text
    assert f'<p class="muted">{mission.name.ru}</p>' in page.text  # the catalogue's Russian name
    assert f"<dd>{mission.name.uk}</dd>" in form.text
    # Competence labels: ESCO's English until ESCO's Ukrainian export is imported, and marked as English.
    label = load_catalogue().competence(mission.core_competences[0]).label
    assert label.language_shown("uk") == "en" and f'lang="en">{label.en}</label>' in form.text
    downloads = re.findall(r'href="([^"]+\.pdf\?language=(\w+))"', page.text)
    assert [language for _, language in downloads] == ["lv", "en", "ru", "uk", "bilingual"]
    pdf = client.get(downloads[3][0])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(downloads[3][0].replace("language=uk", "language=de")).status_code == 422
