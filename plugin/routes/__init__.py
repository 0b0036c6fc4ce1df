"""One ``APIRouter`` per resource; ``app.create_app`` includes them in this order."""

from . import chat, generations, images, jobs, ops, subjects, tokens, uploads, webhooks, widget

__all__ = ["ROUTERS"]

ROUTERS = (
    ops.router,
    tokens.router,
    uploads.router,
    subjects.router,
    generations.router,
    jobs.router,
    images.router,
    webhooks.router,
    chat.router,
    widget.settings_router,
    widget.router,
)
