"""{% load community %} {% comments_for article %} {% follow_button target %}: community slots for pages."""

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("community/_comments.html", takes_context=True)
def comments_for(context: template.Context, article: Any) -> dict[str, Any]:
    return {"article": article, "request": context.get("request"), "user": context.get("user")}


@register.inclusion_tag("community/_follow.html", takes_context=True)
def follow_button(context: template.Context, target: Any) -> dict[str, Any]:
    return {"target": target, "request": context.get("request"), "user": context.get("user")}
