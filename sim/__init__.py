"""archsim: compare request-response and event-driven ecommerce backends by simulation."""

__version__ = "0.1.0"
