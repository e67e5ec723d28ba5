def build_payment_providers(runtime):
    class _G:
        async def reset(self):
            pass

        async def deliver_due(self, now=None):
            return 0

        async def run_deliveries(self, stop):
            await stop.wait()

    return {"sandbox_gateway": _G()}
