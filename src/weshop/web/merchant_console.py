"""The merchant console's page routers (``/console``), gathered for the app."""

from __future__ import annotations

from fastapi import APIRouter

routers: list[APIRouter] = []
