"""What a provider plug-in declares holds: a provider builds with its required credentials
and refuses without any one of them, so start-up can tell which providers are configured
without building one; and a kassa that starts loads no provider SDK it has not called."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kassa.core.settings import Settings
from kassa.providers import plugins
from kassa.providers.base import Credentials, NotConfigured, ProviderContext
from kassa.providers.registry import build_registry

VALUES = {"secret_key": "sk_test_x", "shop_id": "123456", "merchant_id": "m1", "api_url": "https://p.example",
          "access_token": "t", "service_id": "1", "checkout_url": "https://c.example", "merchant_user_id": "2"}


@pytest.mark.parametrize("plugin", plugins.all_plugins(), ids=lambda p: p.name)
async def test_a_provider_needs_exactly_what_its_plugin_declares(plugin: plugins.ProviderPlugin) -> None:
    settings = Settings(_env_file=None, secret_key="s" * 40)  # type: ignore[call-arg]
    async with httpx.AsyncClient() as http:
        complete = Credentials(values={name: VALUES[name] for name in plugin.required})
        assert plugin.required and plugin.missing(complete) == []
        plugin.factory(ProviderContext(settings, complete, http))  # builds
        for name in plugin.required:
            lacking = Credentials(values={k: v for k, v in complete.values.items() if k != name})
            assert plugin.missing(lacking) == [name]
            with pytest.raises(NotConfigured):
                plugin.factory(ProviderContext(settings, lacking, http))


async def test_unconfigured_providers_are_named_without_building_any() -> None:
    settings = Settings(_env_file=None, secret_key="s" * 40, sandbox=False,  # type: ignore[call-arg]
                        payme_merchant_id="m1")
    async with httpx.AsyncClient() as http:
        assert build_registry(settings, http).unconfigured() == ["click", "kaspi", "stripe", "yookassa"]


def test_starting_loads_no_provider_sdk_until_one_is_called(tmp_path: Path) -> None:
    """The API process of a Payme-only merchant keeps Stripe's and YooKassa's SDKs (and the
    requests library YooKassa's pulls in) out of its memory."""
    probe = (
        "import asyncio, sys\n"
        "from kassa.app import create_app\n"
        "from kassa.core.settings import Settings\n"
        f"s = Settings(_env_file=None, secret_key='s' * 40, database_url='sqlite+aiosqlite:///{tmp_path}/p.db',"
        " sandbox=True)\n"
        "app = create_app(s)\n"
        "async def main():\n"
        "    async with app.router.lifespan_context(app):\n"
        "        print(sorted(m for m in ('stripe', 'yookassa', 'requests') if m in sys.modules))\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
