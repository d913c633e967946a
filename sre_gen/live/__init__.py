"""The layer that talks to a live Prometheus (lint, backtest, budget): one HTTP client
(``sre_gen.live.client``) over the model. Nothing here is imported by validate/generate."""
