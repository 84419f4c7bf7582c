"""course_lib.lab: the Jupyter server extension that serves the CJK font to JupyterLab (tests/book/test_lab.py
checks what JupyterLab then draws, in a browser without system CJK fonts)."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from course_lib import lab

ROOT = Path(__file__).resolve().parents[1]


def test_web_font_is_a_plain_truetype_face_with_chinese_and_without_fftm(tmp_path):
    from fontTools.ttLib import TTFont

    path = lab.write_web_font(tmp_path / "f.ttf")
    assert path is not None, "the bundled CJK font (paperang-p2-fonts-cjk) is not installed"
    font = TTFont(str(path))
    assert "FFTM" not in font, "browsers reject the font with its FFTM table"
    assert ord("中") in font.getBestCmap() and ord("A") in font.getBestCmap()
    before = path.stat().st_mtime_ns
    assert lab.write_web_font(path) == path and path.stat().st_mtime_ns == before, "rewritten although current"


def test_custom_css_declares_the_font_and_puts_it_last_in_jupyterlab_font_lists():
    css = lab.custom_css("font.ttf")
    assert '@font-face' in css and 'url("font.ttf")' in css and f'font-family: "{lab.FONT_FAMILY}"' in css
    for var in ("--jp-ui-font-family", "--jp-content-font-family", "--jp-code-font-family"):
        line = next(line for line in css.split(";") if var in line)
        assert line.rstrip().endswith(f'"{lab.FONT_FAMILY}"'), f"{var}: the served font must come last (fallback)"


def test_the_extension_puts_its_folder_first_and_survives_an_unwritable_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    settings = {"static_custom_path": ["/home/me/.jupyter/custom"]}

    class LabApp:  # JupyterLab's extension application, as the server's extension manager holds it
        custom_css = False

    jupyterlab = LabApp()
    manager = SimpleNamespace(extensions={"jupyterlab": SimpleNamespace(
        extension_points={"jupyterlab": SimpleNamespace(app=jupyterlab)})})
    app = SimpleNamespace(web_app=SimpleNamespace(settings=settings), log=logging.getLogger("test"),
                          extension_manager=manager)
    lab._load_jupyter_server_extension(app)
    assert jupyterlab.custom_css is True, "JupyterLab would not link custom.css into its page"
    folder = Path(settings["static_custom_path"][0])
    assert folder.is_relative_to(tmp_path) and (folder / "custom.css").is_file() and (folder / lab.WEB_FONT_NAME).is_file()
    lab._load_jupyter_server_extension(app)
    assert settings["static_custom_path"].count(str(folder)) == 1, "added twice"

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    settings2 = {"static_custom_path": []}
    lab._load_jupyter_server_extension(SimpleNamespace(web_app=SimpleNamespace(settings=settings2),
                                                       log=logging.getLogger("test")))
    assert settings2["static_custom_path"] == [], "JupyterLab must start without the font rather than fail"


def test_the_extension_is_switched_on_by_the_installed_config():
    config = json.loads((ROOT / "jupyter-config" / "course_lib.json").read_text())
    assert config["ServerApp"]["jpserver_extensions"] == {"course_lib.lab": True}
    assert lab._jupyter_server_extension_points() == [{"module": "course_lib.lab"}]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"etc/jupyter/jupyter_server_config.d" = ["jupyter-config/course_lib.json"]' in pyproject


@pytest.mark.parametrize("name", ["custom.css", lab.WEB_FONT_NAME])
def test_write_custom_folder_writes_both_files(tmp_path, name):
    assert lab.write_custom_folder(tmp_path) == tmp_path
    assert (tmp_path / name).stat().st_size > 0


def test_rise_page_links_custom_css_once_and_other_servers_are_left_alone():
    from jinja2 import DictLoader, Environment

    page = '<html><head><title>Rise</title></head><body><script src="{{ base_url }}static/rise/bundle.js"></script></body></html>'
    env = Environment(loader=DictLoader({"index.html": page, "error.html": "<head></head>"}), autoescape=True)
    settings = {"rise_jinja2_env": env}
    assert lab.add_custom_css_link(settings) and lab.add_custom_css_link(settings), "RISE's page not found"
    html = env.get_template("index.html").render(base_url="/base/")
    assert html.count('href="/base/custom/custom.css"') == 1 and html.index("custom.css") < html.index("</head>")
    assert "custom.css" not in env.get_template("error.html").render(base_url="/"), "only the page is changed"
    assert lab.add_custom_css_link({}) is False, "a server without RISE"


def test_custom_css_gives_rise_slides_the_cjk_fallback():
    css = lab.custom_css()
    rules = css[css.index("body .reveal"):]
    assert f'"{lab.FONT_FAMILY}"' in rules and "var(--jp-code-font-family)" in rules
