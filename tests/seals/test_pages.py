"""The seal pages: registering with an upload, bad uploads, loss and abolition, the image route, the log,
and cross-tenant attempts on every route (by id, by search, by registration number)."""

import io

import pytest

from modules.seals import services
from tests.conftest import csrf_token, form_fields
from tests.seals.conftest import log, png


def _upload(client, atena, data, name="seal.png", slug="fuji"):
    token = csrf_token(client, f"/{slug}/seals/register")
    return client.post(
        f"/{slug}/seals/register",
        data={"atena_no": str(atena), "image": (io.BytesIO(data), name), "csrf_token": token},
        content_type="multipart/form-data",
    )


def test_clerk_registers_a_seal_with_an_upload(app, staff_client, seals, demo_params):
    atena = seals.add("fuji")
    client = staff_client("fuji", "clerk")
    response = _upload(client, atena, png())
    assert response.status_code == 302
    no = response.headers["Location"].rsplit("/", 1)[-1]
    assert no.startswith("F")  # 富士市's prefix from tenants/fuji/params.toml
    page = client.get(f"/fuji/seals/r/{no}").get_data(as_text=True)
    assert "登録中" in page and f"/fuji/seals/r/{no}/image" in page
    image = client.get(f"/fuji/seals/r/{no}/image")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == png()
    assert "no-store" in image.headers["Cache-Control"]
    last = log(app, "fuji")[-1]
    assert (last.function, last.screen, last.target) == ("view", "seals.image", f"seal:{no}")
    changes = [e for e in log(app, "fuji") if e.function == "change"]
    assert changes[-1].target == f"seal:{no}" and changes[-1].outcome == "ok"
    # 富士宮市 numbers its registrations with its own prefix.
    theirs = seals.add("fujinomiya")
    response = _upload(staff_client("fujinomiya", "clerk"), theirs, png(), slug="fujinomiya")
    assert response.headers["Location"].rsplit("/", 1)[-1].startswith("M")


def test_a_text_file_named_png_is_refused_and_nothing_is_saved(app, staff_client, seals):
    atena = seals.add("fuji")
    client = staff_client("fuji", "clerk")
    response = _upload(client, atena, b"this is not an image", name="seal.png")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "印影画像（PNG または JPEG）: PNG または JPEG の画像ファイルを選択してください" in body
    no_file = _upload(client, atena, b"", name="")
    assert no_file.status_code == 422 and "ファイルを選択してください" in no_file.get_data(as_text=True)
    with seals.session("fuji") as s:
        assert services.registrations_of(s, atena) == []
    assert log(app, "fuji")[-1].outcome == "failed"


def test_a_viewer_sees_but_cannot_register_or_change(app, staff_client, seals):
    from tenant_core.extensions import get_db
    from tests import factories

    no = seals.register("fuji", seals.add("fuji"))
    factories.user(get_db(app), "fuji", "sealviewer", ["seals.viewer"])
    viewer = staff_client("fuji", "sealviewer")
    page = viewer.get(f"/fuji/seals/r/{no}").get_data(as_text=True)
    assert "登録中" in page and "亡失届" not in page
    assert viewer.get("/fuji/seals/register").status_code == 403
    assert viewer.get(f"/fuji/seals/r/{no}/lost").status_code == 403
    factories.user(get_db(app), "fuji", "nobody", ["residents.viewer"])
    assert staff_client("fuji", "nobody").get(f"/fuji/seals/r/{no}/image").status_code == 403


@pytest.mark.parametrize("kind", ["lost", "abolish"])
def test_lost_and_abolish_need_reason_and_tick(staff_client, seals, kind):
    atena = seals.add("fuji")
    no = seals.register("fuji", atena)
    client = staff_client("fuji", "clerk")
    path = f"/fuji/seals/r/{no}/{kind}"
    refused = client.post(path, data={**form_fields(client, path), "reason": ""})
    body = refused.get_data(as_text=True)
    assert (
        refused.status_code == 422 and "理由を入力してください" in body and "チェックを入れてください" in body
    )
    assert seals.get("fuji", no).status == "registered"
    done = client.post(path, data={**form_fields(client, path), "reason": "本人の申出", "confirm": "y"})
    assert done.status_code == 302
    assert seals.get("fuji", no).status == ("lost" if kind == "lost" else "abolished")


def test_index_lists_the_register_paged_and_searches_residents(app, staff_client, seals):
    for i in range(22):
        seals.register(
            "fuji", seals.add("fuji", given_name=f"名{i}", family_kana="インカン", family_name="印鑑")
        )
    client = staff_client("fuji", "clerk")
    first = client.get("/fuji/seals/").get_data(as_text=True)
    assert "1 / 2 ページ" in first
    found = client.get("/fuji/seals/?kana=インカン").get_data(as_text=True)
    assert "22件が該当" in found
    entry = [e for e in log(app, "fuji") if e.function == "search"][-1]
    assert entry.search_shape == {"kana": "str:4", "results": 22}


def test_cross_tenant_every_route(app, staff_client, seals):
    # 宛名番号 are per city: 富士宮市's third resident has a number that 富士市 (one resident) lacks.
    seals.add("fujinomiya")
    seals.add("fujinomiya")
    theirs_atena = seals.add("fujinomiya", family_name="富士宮", family_kana="フジノミヤ")
    theirs = seals.register("fujinomiya", theirs_atena, number_prefix="M")
    ours = seals.register("fuji", seals.add("fuji"), number_prefix="F")
    fuji = staff_client("fuji", "clerk")
    # A 富士市 session on 富士宮市's pages: refused on every route.
    for path in (
        "/fujinomiya/seals/",
        "/fujinomiya/seals/register",
        f"/fujinomiya/seals/persons/{theirs_atena}",
        f"/fujinomiya/seals/r/{theirs}",
        f"/fujinomiya/seals/r/{theirs}/image",
        f"/fujinomiya/seals/r/{theirs}/lost",
        f"/fujinomiya/seals/r/{theirs}/abolish",
    ):
        assert fuji.get(path).status_code == 403, path
    # 富士宮市's records through 富士市's URLs: by id, by number, by search.
    assert fuji.get(f"/fuji/seals/persons/{theirs_atena}").status_code == 404
    for suffix in ("", "/image", "/lost", "/abolish"):
        assert fuji.get(f"/fuji/seals/r/{theirs}{suffix}").status_code == 404, suffix
    lookup = fuji.get(f"/fuji/seals/?no={theirs}")
    assert lookup.status_code == 404 and "登録はありません" in lookup.get_data(as_text=True)
    assert "該当する住民はいません" in fuji.get("/fuji/seals/?kana=フジノミヤ").get_data(as_text=True)
    # Registering a seal for 富士宮市's 宛名番号 in 富士市: a Japanese error, a refusal in the log.
    response = _upload(fuji, theirs_atena, png())
    assert response.status_code == 422 and "この団体の住民記録にいません" in response.get_data(as_text=True)
    last = log(app, "fuji")[-1]
    assert (last.function, last.outcome, last.target) == ("change", "refused", f"atena:{theirs_atena}")
    with seals.session("fuji") as s:
        assert services.registrations_of(s, theirs_atena) == []
    assert fuji.get(f"/fuji/seals/r/{ours}").status_code == 200
