"""The UN Comtrade API as a refresh source: fetch sets (config), the wrapped official client
(client) and the incremental fetch into the download cache (fetch). Needs the optional extra
``trade-mirror[comtrade]`` (comtradeapicall); nothing here is imported by the core."""

from .client import KEY_VARIABLE, ComtradeClient, api_key
from .config import ApiSettings, FetchConfig, FetchSet, default_config_path, read_config
from .fetch import FetchResult, fetch

__all__ = ["KEY_VARIABLE", "ApiSettings", "ComtradeClient", "FetchConfig", "FetchResult", "FetchSet", "api_key",
           "default_config_path", "fetch", "read_config"]
