"""The knowledge base (S04.03.01.05 and S04.04.00.03 feed «la base de conocimiento»): articles
written from resolved tickets, searchable by the office's staff, some published to the portal.

One function per change, one transaction each, with its audit entry and a new ArticleVersion row
(the article's history). Who reads and who writes is cases.access's (visible_articles,
writes_articles). The search index (ArticleWord) is rewritten with the article, in the same
transaction: each word of registers.catalog.words (accents and case ignored).
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

import audit
from cases import access
from cases.workflow import Conflict, Forbidden, Invalid, NotFound
from registers.catalog import words

from .catalog import catalog
from .models import Article, ArticleVersion, ArticleWord, Ticket

A = Article.Status
TITLE_MAX = 200
TEXT_MAX = 20000
TAGS_MAX = 300
MAX_WORDS = 6
_WORD_END = "z" * 60
STATUS_VERBS = {A.DRAFT: "article.drafted", A.PUBLISHED: "article.published", A.RETIRED: "article.retired"}


# --- reading --------------------------------------------------------------------------------
def article_for(user, article_id) -> Article:
    """The article, if the user may read it; otherwise NotFound (as if it did not exist)."""
    try:
        pk = int(article_id)
    except (TypeError, ValueError):
        pk = 0
    found = (access.visible_articles(user).select_related("author", "source_ticket").filter(pk=pk).first()
             if 0 < pk < 2**63 else None)
    if found is None:
        raise NotFound("No existe el artículo.")
    return found


def search(user, q: str = "", *, category: str = "", status: str = ""):
    """The articles the user may read, narrowed by the words of `q` (every word must appear; the
    last may be the start of a longer one), a category and, for the staff, a status."""
    articles = access.visible_articles(user)
    if category:
        articles = articles.filter(category=category)
    if status and status in A.values:
        articles = articles.filter(status=status)
    typed = words(q)[:MAX_WORDS]
    for i, word in enumerate(typed):
        if i == len(typed) - 1:
            hits = ArticleWord.objects.filter(word__gte=word, word__lte=word + _WORD_END)
        else:
            hits = ArticleWord.objects.filter(word=word)
        articles = articles.filter(pk__in=hits.values("article_id"))
    return articles.order_by("-updated_at", "-id")


def suggestions(category: str, limit: int = 5):
    """What the portal offers before an employee opens a ticket of `category`: its published articles."""
    return list(Article.objects.filter(status=A.PUBLISHED, category=category).order_by("-updated_at", "-id")[:limit])


def prefill_from(user, ticket_id) -> dict:
    """The form of a new article from a resolved ticket: its subject, description and solution."""
    ticket = access.ticket_for(user, ticket_id)
    _need_writer(user)
    if ticket.status not in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        raise Conflict(f"El ticket {ticket.number} aún no está resuelto: el artículo se escribe con su solución.")
    return {"title": ticket.subject, "problem": ticket.description, "solution": ticket.solution,
            "category": ticket.category, "tags": "", "ticket": ticket.pk}


# --- writing --------------------------------------------------------------------------------
def _need_writer(user):
    if not access.writes_articles(user):
        raise Forbidden("La base de conocimiento la escribe el personal de la OGTIE.")


def _text(value, key, what, limit, required=True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"{what} debe ser texto.", {key: "inválido"})
    value = value.strip()
    if required and not value:
        raise Invalid(f"Escriba {what.lower()}.", {key: "obligatorio"})
    if len(value) > limit:
        raise Invalid(f"{what} admite como máximo {limit} caracteres.", {key: "demasiado largo"})
    if "\x00" in value:
        raise Invalid(f"{what} contiene caracteres no válidos.", {key: "inválido"})
    return value


def _clean(title, problem, solution, category, tags) -> dict:
    errors, values = {}, {}
    for key, value, what, limit, required in (("title", title, "El título", TITLE_MAX, True),
                                              ("problem", problem, "El problema", TEXT_MAX, True),
                                              ("solution", solution, "La solución", TEXT_MAX, True),
                                              ("tags", tags, "Las etiquetas", TAGS_MAX, False)):
        try:
            values[key] = _text(value, key, what, limit, required)
        except Invalid as exc:
            errors.update(exc.errors)
            errors[key] = exc.detail
    category = category or ""
    if category and catalog().category(category) is None:
        errors["category"] = "Elija una categoría del catálogo."
    if errors:
        raise Invalid(next(iter(errors.values())), errors)
    values["category"] = category
    values["tags"] = ", ".join(dict.fromkeys(t.strip() for t in values["tags"].split(",") if t.strip()))
    return values


def _index(article: Article) -> None:
    ArticleWord.objects.filter(article=article).delete()
    found = set()
    for text in (article.title, article.problem, article.solution, article.tags):
        found.update(words(text) if len(text) <= 200 else [w for chunk in _chunks(text) for w in words(chunk)])
    ArticleWord.objects.bulk_create([ArticleWord(article=article, word=w) for w in sorted(found)])


def _chunks(text: str, size: int = 180):
    """registers.catalog.fold keeps 200 characters: long texts are folded piece by piece, cut at spaces."""
    parts = text.split()
    chunk = []
    for part in parts:
        if sum(len(p) + 1 for p in chunk) + len(part) > size and chunk:
            yield " ".join(chunk)
            chunk = []
        chunk.append(part[:60])
    if chunk:
        yield " ".join(chunk)


def _snapshot(article: Article, user, now) -> None:
    ArticleVersion.objects.create(article=article, version=article.version, title=article.title, problem=article.problem,
                                  solution=article.solution, category=article.category, tags=article.tags,
                                  status=article.status, author=user, created_at=now)


def _fields(article: Article) -> dict:
    return {k: getattr(article, k) for k in ("title", "category", "tags", "status", "version")}


def create(user, *, title, problem, solution, category="", tags="", ticket=None) -> Article:
    """A new draft article, from a resolved ticket (`ticket`: its id) or from scratch."""
    _need_writer(user)
    values = _clean(title, problem, solution, category, tags)
    source = None
    if ticket not in (None, ""):
        try:
            source = access.ticket_for(user, ticket)
        except NotFound:
            raise Invalid("No existe el ticket de origen.", {"ticket": "desconocido"}) from None
    with transaction.atomic():
        now = timezone.now()
        article = Article.objects.create(**values, source_ticket=source, author=user, status=A.DRAFT,
                                         created_at=now, updated_at=now)
        _snapshot(article, user, now)
        _index(article)
        audit.record("article.created", actor=user, obj=article, created_at=now,
                     after={**_fields(article), "ticket": source.number if source else None})
    return article


def update(user, article_id, *, title, problem, solution, category="", tags="", version=None) -> Article:
    """A new version of the article's text; `version` (the one the form showed) guards against
    overwriting someone else's change."""
    article = article_for(user, article_id)
    _need_writer(user)
    values = _clean(title, problem, solution, category, tags)
    if all(getattr(article, k) == v for k, v in values.items()):
        raise Invalid("No cambió nada del artículo.", {"title": "sin cambio"})
    with transaction.atomic():
        now = timezone.now()
        before = _fields(article)
        expected = article.version if version in (None, "") else _int(version)
        changed = Article.objects.filter(pk=article.pk, version=expected).update(**values, version=expected + 1, updated_at=now)
        if not changed:
            raise Conflict("Otra persona acaba de modificar el artículo: recargue la página y vuelva a aplicar su cambio.")
        for key, value in values.items():
            setattr(article, key, value)
        article.version, article.updated_at = expected + 1, now
        _snapshot(article, user, now)
        _index(article)
        audit.record("article.updated", actor=user, obj=article, created_at=now, before=before, after=_fields(article))
    return article


def set_status(user, article_id, status) -> Article:
    """Publish an article to the portal, take it back to draft, or retire it."""
    article = article_for(user, article_id)
    _need_writer(user)
    if status not in A.values:
        options = ", ".join(f"{v} ({label.lower()})" for v, label in A.choices)
        raise Invalid(f"Estado desconocido. Opciones: {options}.", {"status": "desconocido"})
    if status == article.status:
        raise Invalid(f"El artículo ya está «{A(status).label.lower()}».", {"status": "sin cambio"})
    with transaction.atomic():
        now = timezone.now()
        before = _fields(article)
        extra = {"published_at": now} if status == A.PUBLISHED else {}
        Article.objects.filter(pk=article.pk).update(status=status, version=article.version + 1, updated_at=now, **extra)
        article.status, article.version, article.updated_at = status, article.version + 1, now
        for key, value in extra.items():
            setattr(article, key, value)
        _snapshot(article, user, now)
        audit.record(STATUS_VERBS[status], actor=user, obj=article, created_at=now, before=before, after=_fields(article))
    return article


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid("«version» debe ser un número entero.", {"version": "inválido"}) from None


def counts_for(user) -> dict:
    """How many articles per status the user may read (for the list's tabs)."""
    from django.db.models import Count

    return dict(access.visible_articles(user).values_list("status").annotate(n=Count("id")).values_list("status", "n"))

