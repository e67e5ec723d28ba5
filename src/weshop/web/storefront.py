"""The storefront's page routers (mobile H5), gathered for the app."""

from __future__ import annotations

from fastapi import APIRouter

routers: list[APIRouter] = []
