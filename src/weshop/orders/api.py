from fastapi import APIRouter

shopper = APIRouter(prefix="/api/v1/me")
merchant = APIRouter(prefix="/api/v1/merchant/stores/{store_id}")
