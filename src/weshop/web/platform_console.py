"""The platform console's page routers (``/platform``), gathered for the app."""

from __future__ import annotations

from fastapi import APIRouter

routers: list[APIRouter] = []
