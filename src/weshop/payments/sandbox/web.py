from fastapi import APIRouter

router = APIRouter(prefix="/sandbox-pay")


def gateway(runtime):
    return runtime.components["sandbox_gateway"]
