from weshop.core.worker import HandlerRegistry

registry = HandlerRegistry()
