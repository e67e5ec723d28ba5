from fastapi import APIRouter

merchant = APIRouter(prefix="/api/v1/merchant/stores/{store_id}")
shop = APIRouter(prefix="/api/v1/shop")
