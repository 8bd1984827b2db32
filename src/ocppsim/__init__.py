"""ocppsim: a multi-user OCPP charge-point simulator server."""

__version__ = "0.1.0"
