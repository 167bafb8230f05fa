import pytest_asyncio
from channels.layers import get_channel_layer


@pytest_asyncio.fixture(autouse=True)
async def clean_layer():
    """Each test starts and ends with an empty channel layer (the real Redis one)."""
    layer = get_channel_layer()
    await layer.flush()
    yield
    await layer.flush()
    await layer.close_pools()
