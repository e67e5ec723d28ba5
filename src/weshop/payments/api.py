from fastapi import APIRouter

shopper = APIRouter(prefix="/api/v1/me")
callbacks = APIRouter(prefix="/api/v1/payments")
