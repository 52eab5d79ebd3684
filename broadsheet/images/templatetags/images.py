"""{% load images %} {% img_src url 640 %} {% img_srcset url %}: signed resizer URLs for templates."""

from django import template

from broadsheet.images.signing import image_srcset, image_url

register = template.Library()


@register.simple_tag
def img_src(url: str, width: int = 640) -> str:
    return image_url(url or "", int(width))


@register.simple_tag
def img_srcset(url: str) -> str:
    return image_srcset(url or "")
