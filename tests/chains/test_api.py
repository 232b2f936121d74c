"""The chains' read API (/api/v1/chains), bearer tokens through the whole middleware stack: the list, a chain's
detail and its pipeline, scoped as the pages are, in the OpenAPI document."""

from tests.api.conftest import Api, problem
from tests.chains.conftest import make_project
from tests.chains.test_pages import _map
from whistle.chains import services


def test_the_chains_api_lists_reads_and_shows_the_pipeline_scoped_like_the_pages(chains, client):
    api = Api(client, chains)
    _map(chains)
    project = make_project(chains)
    services.project_advance(chains.actor("chain_bio"), project.pk, stage="signed", amount="12000")

    listed = api.get("/api/v1/chains", "city_leader").json()
    assert len(listed["results"]) == 10
    bio = next(r for r in listed["results"] if r["code"] == "biomedicine")
    assert (bio["nodes"], bio["projects"], bio["signed"], bio["lead_unit"]["code"]) == (3, 1, 1, "heze-gxj")

    detail = api.get("/api/v1/chains/biomedicine", "city_leader").json()
    assert detail["map"] == {"nodes": 3, "gaps": 1, "covered": 1, "firms": 2, "local_firms": 1}
    assert detail["signed"] == 1 and float(detail["signed_amount_wan"]) == 12000
    assert {k["code"] for k in detail["kpis"]} >= {"started"}

    pipeline = api.get("/api/v1/chains/biomedicine/pipeline", "chain_bio").json()
    signed = next(s for s in pipeline["stages"] if s["pipeline"] == "investment" and s["code"] == "signed")
    assert signed["count"] == 1 and signed["projects"][0]["name"] == "原料药扩产项目"
    assert signed["projects"][0]["responsible_unit"]["code"] == "heze-gxj"

    # a chain office reads only its chains: another is a 404 like a missing one
    assert [r["code"] for r in api.get("/api/v1/chains", "chain_chem").json()["results"]] == ["chemicals"]
    hidden = api.get("/api/v1/chains/biomedicine/pipeline", "chain_chem")
    missing = api.get("/api/v1/chains/no-such/pipeline", "chain_chem")
    assert hidden.status_code == missing.status_code == 404 and hidden.json()["code"] == missing.json()["code"]
    problem(api.get("/api/v1/chains", "cao_zjj"), 403, "forbidden")  # a handler reads no chain
    assert api.get("/api/v1/chains").status_code == 401
    problem(api.get("/api/v1/chains/biomedicine?year=10000", "city_leader"), 422, "out_of_range", "year")


def test_the_chains_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/chains", "/api/v1/chains/{chain}", "/api/v1/chains/{chain}/pipeline"} <= set(paths)
    assert "ChainOut" in client.get("/api/v1/openapi.json").json()["components"]["schemas"]
