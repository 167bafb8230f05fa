"""The live dispatch board page: the snapshot rendered as JSON for static/js/board/ to draw."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from board import rows as board
from board.presence import PING_SECONDS


@require_GET
@permission_required("incidents.view_board", raise_exception=True)
def board_page(request):
    # ?wall=1: the read-only wall screen (no navigation, large type, every row it can fit).
    wall = request.GET.get("wall") == "1"
    return render(
        request,
        "board/board.html",
        {
            "snapshot": board.snapshot(),
            "wall": wall,
            "config": {
                "wall": wall,
                "ping_seconds": PING_SECONDS,
                "can_dispatch": request.user.has_perm("dispatch.add_dispatch"),
                "can_acknowledge": request.user.has_perm("escalation.acknowledge_escalation"),
            },
        },
    )
