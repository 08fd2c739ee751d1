from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "venueos.realtime"

    def ready(self) -> None:
        from venueos.common.metrics import STREAM_CLIENTS, add_sampler

        def sample_stream_clients() -> None:
            from venueos.realtime.stream import client_count

            STREAM_CLIENTS.set(client_count())

        add_sampler(sample_stream_clients)
