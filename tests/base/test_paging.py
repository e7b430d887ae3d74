"""The pages of a long list: the links a person follows from one page of a list to the next."""

from __future__ import annotations

from base.paging import pager


def test_page_links_keep_the_filters_and_not_a_notice_already_shown():
    shown = pager("/org/x/missions?lang=en&status=open&notice=notice.mission_created&page=1", 1, 45, 20)
    assert (shown.page, shown.pages, shown.total) == (1, 3, 45)
    assert shown.previous_href is None
    assert shown.next_href == "/org/x/missions?lang=en&status=open&page=2"


def test_a_page_past_the_last_shows_the_last():
    shown = pager("/org/x/credentials?page=9", 9, 45, 20)
    assert shown.page == 3 and shown.offset == 40
    assert shown.previous_href == "/org/x/credentials?page=2" and shown.next_href is None
