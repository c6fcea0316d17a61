"""Local extractive summary: the few sentences whose words the page uses most, in page order."""

from __future__ import annotations

from collections import Counter

from kanban.worker.providers.local.text import sentences, stems
from kanban.worker.providers.tasks import Summary, SummaryRequest

MAX_SENTENCES = 3
_ENDS = frozenset(".!?\"'”’)")
MAX_CHARS = 700


def summarise(request: SummaryRequest) -> Summary:
    # Headings are not sentences: a line without closing punctuation, or the page's own title, would
    # read glued to the sentence after it.
    title = _folded(request.page_title)
    candidates = [
        s
        for s in sentences(request.text)
        if 5 <= len(s.split()) <= 60 and _folded(s) != title and (s.rstrip()[-1:] in _ENDS or len(s.split()) >= 15)
    ]
    if not candidates:
        fallback = " ".join(request.text.split())[:MAX_CHARS]
        return Summary(summary=fallback, confidence=0.3 if fallback else 0.0)
    frequency = Counter(stem for s in candidates for stem in set(stems(s)))
    title_stems = set(stems(request.page_title))
    scored = []
    for position, sentence in enumerate(candidates):
        sentence_stems = set(stems(sentence))
        if not sentence_stems:
            continue
        # Frequent words mark the topic; early sentences and the title's words mark the point.
        score = sum(frequency[s] for s in sentence_stems) / len(sentence_stems) ** 0.5
        score += 2.0 * len(sentence_stems & title_stems)
        score *= 1.0 + 1.0 / (1 + position)
        scored.append((score, position, sentence))
    chosen = sorted(sorted(scored, reverse=True)[:MAX_SENTENCES], key=lambda item: item[1])
    summary = ""
    for _, _, sentence in chosen:
        if len(summary) + len(sentence) + 1 > MAX_CHARS:
            break
        summary = f"{summary} {sentence}".strip()
    summary = summary or chosen[0][2][:MAX_CHARS]
    return Summary(summary=summary, confidence=0.6)


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold().rstrip(".!?:")
