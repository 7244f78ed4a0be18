"""The report's figures lay out in Qt's rich text (the in-app view, its PDF) as they do in
a browser: each plot a block of its own, as tall as the plot. The report once used
<figure>/<figcaption>, which Qt does not know: the plots ran into the line of the
"correct" badge and every plot line was 1.45 times its height (the body's line-height),
leaving a gap of half a plot under each."""

from __future__ import annotations

import re

import pytest

from vlab.practicals import PracticalSession, load_practical, render_report, simulate_sweeps


@pytest.fixture(scope="module")
def report_html():
    p = load_practical("threshold")
    s = PracticalSession(p, "rich-text", autosave=False)
    qid = next(q.id for _, q in p.questions() if q.kind == "recording")
    i = p.steps.index(p.question(qid)[0])
    assert s.check_recording(qid, simulate_sweeps(s.preset(i), tag=s.recording_tag(i))).correct
    return render_report(s.progress, session=s)


def test_plots_are_blocks_of_their_own_as_tall_as_the_plot(qapp, report_html):
    from PySide6.QtGui import QTextDocument

    from vlab.gui.panels.practical import _svg_to_img

    assert "<figure" not in report_html and "<figcaption" not in report_html
    html = re.sub(r"<svg.*?</svg>", lambda m: _svg_to_img(m.group(0)), report_html, flags=re.S)
    doc = QTextDocument()
    doc.setHtml(html)
    doc.setTextWidth(1000)
    layout = doc.documentLayout()
    images = 0
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                images += 1
                height = fmt.toImageFormat().height()
                assert block.text().strip() == "\ufffc", block.text()  # the image alone
                assert layout.blockBoundingRect(block).height() <= 1.1 * height + 12
            it += 1
        block = block.next()
    assert images >= 1
