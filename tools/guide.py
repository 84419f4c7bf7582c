"""Write the generated parts of the instructor's guide, ``book/{en,zh}/instructors.md``.

    python tools/guide.py          # rewrite the generated blocks of both pages
    python tools/guide.py --check  # exit 1 if a page differs from what the data gives (tests/test_guide.py)

A page is prose written by hand with blocks between two MyST comment lines,

    % BEGIN generated: KEY (tools/guide.py)
    ...
    % END generated: KEY

that this tool fills from the data, so no number of the guide is typed by hand:

* ``notebooks/timings.json`` (``python tools/notebooks.py time``): each chapter's run time, its slowest cells, the
  machine and its load average when it was measured;
* ``notebooks/src``: each chapter's learning objectives and prerequisites (``objectives(...)``), its exercises
  and how nbgrader grades them (``solution(n, ..., grade=, points=, written=)``, the same data that
  ``tools/assignments.py`` writes the assignments from);
* :data:`PLANS` below: the two course plans (which chapters, exercises and assignments each week).

Why blocks in the markdown, not a Sphinx directive that reads the JSON at build time: the pages stay plain
markdown that reads the same in the repository, in JupyterLab and in the book; the book build gains no code
path of its own; and a stale page is one failing test that says which block to regenerate, like the glossary
pages (``tools/glossary.py``). Keys the page does not contain are an error, and so are keys it lacks.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from assignments import split_exercises  # noqa: E402
from notebooks import TIMINGS, _load_cells, _names  # noqa: E402
from twins import LANGS, Cell, chapter_file, join_cjk_lines, render_prerequisites  # noqa: E402

sys.path.insert(0, str(ROOT))
from course_lib.exercises import REGISTRY as SELF_CHECKS  # noqa: E402  (the learners' check(n), per chapter)

PAGES = {lang: ROOT / "book" / lang / "instructors.md" for lang in LANGS}
BLOCK = re.compile(r"^% BEGIN generated: (?P<key>[\w-]+) \(tools/guide\.py\)\n(?P<body>.*?)^% END generated: (?P=key)\n",
                   re.M | re.S)
TIMED_LANG = "en"  # the Chinese twins run the same code cells (tests/test_twins.py)

WORDS = {
    "en": {
        "chapter": "Chapter", "total": "run time (s)", "cells": "in cells (s)", "slowest": "slowest cell (s)",
        "load": "load average (start → end)", "exercises": "exercises", "auto": "autograded points",
        "hand": "points graded by hand", "selfcheck": "self-check (`check(n)` reads)", "no": "No.", "exercise": "exercise", "cell": "cell", "code": "first line",
        "seconds": "s", "objectives": "**Objectives.** After this chapter students can:",
        "timing": "**Run time.** {total} s from kernel start to the last cell ({cells} s in {n} code cells, "
                  "on {threads} CPU thread{s}); "
                  "load average {l0} at the start and {l1} at the end. The slowest cells:",
        "ex_lead": "**Exercises** (nbgrader assignment `{name}`: {auto} points autograded, {hand} by hand):",
        "week": "Week", "chapters": "Chapters", "topics": "Topics", "in_class": "Worked in class",
        "assignment": "Assignment released", "none": "—", "exercise_ref": "{c}.{n}",
        "points": "`{name}` ({auto} + {hand} points)",
        "machine": "Measured with `python tools/notebooks.py time` on {cpu} ({cores} cores; PyTorch {torch}, "
                   "{threads} threads by default, and one in the chapters that ask for one; Python {python}), between {first} and {last}, the English notebooks one "
                   "after another (the Chinese twins run the same code). The machine was shared: the load "
                   "average (processes ready to run, over the last minute) was between {lmin} and {lmax} while "
                   "they ran, so on an idle machine of the same kind expect less.",
        "total_row": "**all chapters**",
    },
    "zh": {
        "chapter": "章", "total": "运行时间（秒）", "cells": "单元格合计（秒）", "slowest": "最慢单元格（秒）",
        "load": "平均负载（开始 → 结束）", "exercises": "练习数", "auto": "自动评分分值",
        "hand": "人工评分分值", "selfcheck": "自测（`check(n)` 读取）", "no": "序号", "exercise": "练习", "cell": "单元格", "code": "首行代码",
        "seconds": "秒", "objectives": "**学习目标**：学完本章，学生能够：",
        "timing": "**运行时间**：从启动内核到最后一个单元格共 {total} 秒（{n} 个代码单元格合计 {cells} 秒，"
                  "使用 {threads} 个 CPU 线程）；"
                  "开始时平均负载为 {l0}，结束时为 {l1}。最慢的几个单元格：",
        "ex_lead": "**练习**（nbgrader 作业 `{name}`：自动评分 {auto} 分，人工评分 {hand} 分）：",
        "week": "周次", "chapters": "章", "topics": "内容", "in_class": "课上完成的练习",
        "assignment": "布置的作业", "none": "—", "exercise_ref": "{c}.{n}",
        "points": "`{name}`（{auto} + {hand} 分）",
        "machine": "以下时间用 `python tools/notebooks.py time` 测得。机器：{cpu}（{cores} 个核心；PyTorch {torch}，"
                   "默认 {threads} 个线程，要求单线程的章节只用一个；Python {python}），时间为 {first} 至 {last}，英文笔记本逐个运行"
                   "（中文版运行的是同样的代码）。这台机器由多人共用：运行期间的平均负载（最近一分钟内等待运行的进程数）"
                   "在 {lmin} 到 {lmax} 之间，因此在同类空闲机器上会更快。",
        "total_row": "**全部章节**",
    },
}


# ---------------------------------------------------------------------------------------------- chapters
@dataclass
class Exercise:
    number: int
    text: dict[str, str]  # the exercise as the chapter lists it, per language
    auto: int  # points of its autograder test
    hand: int  # points graded by hand


@dataclass
class Chapter:
    name: str
    number: int
    title: dict[str, str]
    objectives: Cell
    exercises: list[Exercise]


def chapter(name: str) -> Chapter:
    cells = _load_cells(name)
    obj = [c for c in cells if c.kind == "objectives"]
    if len(obj) != 1:
        raise ValueError(f"{name}: one objectives(...) cell expected, found {len(obj)}")
    first = next(c for c in cells if c.kind == "markdown")
    title = {lang: first.text[lang].splitlines()[0].lstrip("# ").strip() for lang in LANGS}
    listed: dict[str, dict[int, str]] = {}
    for lang in LANGS:
        for c in cells:
            found = c.kind == "markdown" and split_exercises(c.text[lang], lang)
            if found:
                listed[lang] = found.items
    exercises = [Exercise(s.number, {lang: listed[lang][s.number] for lang in LANGS},
                          auto=s.points if s.grade else 0, hand=s.written if s.grade else s.points)
                 for s in cells if s.kind == "solution"]
    return Chapter(name, int(name[:2]), title, obj[0], exercises)


def short(text: str, lang: str) -> str:
    """An exercise's name for a table: its bold title, or its first sentence (cut at a safe place)."""
    body = re.sub(r"^\d+\.\s*", "", " ".join(line.strip() for line in text.splitlines()))
    m = re.match(r"\*\*(.+?)\*\*", body)
    if m:
        return m.group(1).rstrip(".。 ")
    end = re.search(r"[.?](\s|$)|[。？]", body)
    first = body[:end.end()].strip() if end else body
    limit = 150 if lang == "en" else 90
    if len(first) > limit:
        cut = first[:limit]
        for mark in ("$", "`", "**"):  # never cut inside a formula, a code span or bold text
            if cut.count(mark) % 2:
                cut = cut[:cut.rfind(mark)]
        if lang == "en" and " " in cut:
            cut = cut[:cut.rfind(" ")]
        first = cut.rstrip(" ,;，；") + "…"
    return first.replace("|", r"\|")


def notebook_link(name: str, lang: str) -> str:
    return f"../../notebooks/{lang}/{name}.ipynb"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _load(x: list[float]) -> str:
    return f"{x[0]:.2f}"


def chapter_block(ch: Chapter, timings: dict, lang: str) -> str:
    w = WORDS[lang]
    out = [w["objectives"], ""]
    out += [f"* {item}" for item in ch.objectives.items[lang]]
    out += ["", render_prerequisites(ch.objectives, lang, lambda n: notebook_link(chapter_file(n).removesuffix(".ipynb"), lang)), ""]
    t = timings["notebooks"][ch.name][TIMED_LANG]
    out += [w["timing"].format(total=t["total_s"], cells=t["cells_s"], n=t["code_cells"], threads=t["torch_threads"],
                               s="" if t["torch_threads"] == 1 else "s",
                               l0=_load(t["load_start"]), l1=_load(t["load_end"])), ""]
    out += [table([w["cell"], w["code"], w["seconds"]],
                  [[f"[{c['cell']}]", "`" + c["code"].replace("`", "'").replace("|", "\\|") + "`", f"{c['seconds']}"]
                   for c in t["slowest"]]), ""]
    auto, hand = sum(e.auto for e in ch.exercises), sum(e.hand for e in ch.exercises)
    out += [w["ex_lead"].format(name=ch.name, auto=auto, hand=hand), ""]
    checks = SELF_CHECKS.get(ch.number, {})
    out += [table([w["no"], w["exercise"], w["auto"], w["hand"], w["selfcheck"]],
                  [[str(e.number), short(e.text[lang], lang), str(e.auto), str(e.hand),
                    ", ".join(f"`{r}`" for r in checks[e.number].reads) if e.number in checks else w["none"]]
                   for e in ch.exercises])]
    text = "\n".join(out)
    return join_cjk_lines(text) if lang == "zh" else text


def overview_block(chapters: list[Chapter], timings: dict, lang: str) -> str:
    w = WORDS[lang]
    rows = []
    for ch in chapters:
        t = timings["notebooks"][ch.name][TIMED_LANG]
        rows.append([f"[{ch.title[lang]}]({notebook_link(ch.name, lang)})", f"{t['total_s']}",
                     f"{t['slowest'][0]['seconds']}", f"{_load(t['load_start'])} → {_load(t['load_end'])}",
                     str(len(ch.exercises)), str(sum(e.auto for e in ch.exercises)),
                     str(sum(e.hand for e in ch.exercises))])
    all_t = [timings["notebooks"][ch.name][TIMED_LANG] for ch in chapters]
    rows.append([w["total_row"], f"{round(sum(t['total_s'] for t in all_t), 1)}", "", "",
                 str(sum(len(ch.exercises) for ch in chapters)),
                 str(sum(e.auto for ch in chapters for e in ch.exercises)),
                 str(sum(e.hand for ch in chapters for e in ch.exercises))])
    return table([w["chapter"], w["total"], w["slowest"], w["load"], w["exercises"], w["auto"], w["hand"]], rows)


def machine_block(chapters: list[Chapter], timings: dict, lang: str) -> str:
    m = timings["machine"]
    runs = [timings["notebooks"][ch.name][TIMED_LANG] for ch in chapters]
    loads = [x for t in runs for x in (t["load_start"][0], t["load_end"][0])]
    dates = sorted(t["measured"] for t in runs)
    return WORDS[lang]["machine"].format(cpu=m["cpu"], cores=m["cores"], torch=m["torch"], threads=m["torch_threads_default"],
                                         python=m["python"], first=dates[0][:16].replace("T", " "),
                                         last=dates[-1][:16].replace("T", " "), lmin=f"{min(loads):.2f}",
                                         lmax=f"{max(loads):.2f}")


# ---------------------------------------------------------------------------------------------- course plans
#: Each week: the chapters it covers, its topics in each language, the exercises worked in class
#: ((chapter, exercise) pairs) and the chapter whose nbgrader assignment is released that week (due a week later).
PLANS: dict[str, list[dict]] = {
    "plan-6": [
        dict(chapters=(0, 1), en="set-up; what a generative model is; privacy, fairness, transparency, accountability; "
             "the rules", zh="环境配置；什么是生成模型；隐私、公平性、透明度、问责；法规", in_class=[(0, 1), (1, 2)],
             assignment=1),
        dict(chapters=(2,), en="the minimax game, $D^*$, JSD, non-saturating loss, mode collapse",
             zh="极小极大博弈、$D^*$、JS 散度、非饱和损失、模式坍塌", in_class=[(2, 3)], assignment=2),
        dict(chapters=(3,), en="ELBO, closed-form KL, reparameterisation, β, importance-weighted bound",
             zh="证据下界、KL 散度的闭式解、重参数化、β、重要性加权下界", in_class=[(3, 1)], assignment=3),
        dict(chapters=(4,), en="perplexity, attention, causal mask, positions, sampling",
             zh="困惑度、注意力、因果掩码、位置编码、采样", in_class=[(4, 4)], assignment=4),
        dict(chapters=(5, 7), en="measuring generators: Fréchet distance, coverage; DCGAN vs VAE; diffusion shown from "
             "its checkpoint", zh="度量生成模型：弗雷歇距离、类别覆盖；DCGAN 与变分自编码器对比；用检查点演示扩散模型",
             in_class=[(5, 1)], assignment=5),
        dict(chapters=(6,), en="membership inference, labelling and watermarks, canaries, the price of DP, audit cards",
             zh="成员推断、标识与水印、金丝雀、差分隐私的代价、审计卡", in_class=[(6, 2)], assignment=6),
    ],
    "plan-14": [
        dict(chapters=(0, 1), en="set-up; what a generative model is; the families", zh="环境配置；什么是生成模型；各类生成模型",
             in_class=[(0, 1), (0, 2)], assignment=0),
        dict(chapters=(1,), en="privacy (memorisation, differential privacy); fairness and bias",
             zh="隐私（记忆、差分隐私）；公平性与偏差", in_class=[(1, 2)], assignment=None),
        dict(chapters=(1,), en="transparency, accountability, model cards, watermarks; the rules",
             zh="透明度、问责、模型卡、水印；法规", in_class=[(1, 4)], assignment=1),
        dict(chapters=(2,), en="the game and its two losses; $D^*$; $C(G)$ and JSD; saturating vs non-saturating",
             zh="博弈及其两种损失；$D^*$；$C(G)$ 与 JS 散度；饱和与非饱和", in_class=[(2, 3)], assignment=None),
        dict(chapters=(2,), en="the training algorithm; mode collapse over seeds; remedies",
             zh="训练算法；基于多个种子的模式坍塌；补救方法", in_class=[(2, 1)], assignment=2),
        dict(chapters=(3,), en="latent-variable models; the ELBO two ways; closed-form KL; reparameterisation",
             zh="潜变量模型；证据下界的两种推导；KL 散度的闭式解；重参数化", in_class=[(3, 1)], assignment=None),
        dict(chapters=(3,), en="likelihoods, β, a 2-D VAE on MNIST, the importance-weighted bound",
             zh="似然的选择、β、MNIST 上的二维变分自编码器、重要性加权下界", in_class=[(3, 3)], assignment=3),
        dict(chapters=(4,), en="tokens, cross-entropy and perplexity; attention and $\\sqrt{d_k}$; the causal mask",
             zh="词元、交叉熵与困惑度；注意力与 $\\sqrt{d_k}$；因果掩码", in_class=[(4, 2)], assignment=None),
        dict(chapters=(4,), en="multi-head attention, positions, the block and its parameters; training; sampling",
             zh="多头注意力、位置编码、模块与参数量；训练；采样", in_class=[(4, 4)], assignment=4),
        dict(chapters=(5,), en="the evaluator, the floor, the DCGAN and the VAE side by side; GPU training",
             zh="评估器、下限、DCGAN 与变分自编码器并列比较；GPU 训练", in_class=[(5, 1)], assignment=5),
        dict(chapters=(7,), en="the forward process, the reverse posterior, the ELBO and the simple loss; Tweedie",
             zh="前向过程、反向后验、证据下界与简化损失；Tweedie 公式", in_class=[(7, 1)], assignment=None),
        dict(chapters=(7,), en="the ring beside the GANs; a UNet on MNIST; DDPM vs DDIM; guidance",
             zh="圆环上与生成对抗网络对比；MNIST 上的 UNet；DDPM 与 DDIM；引导", in_class=[(7, 3)], assignment=7),
        dict(chapters=(6,), en="membership inference; labelling and watermarks; telling generated from real; canaries",
             zh="成员推断；标识与水印；区分生成与真实；金丝雀", in_class=[(6, 2)], assignment=None),
        dict(chapters=(6,), en="the price of DP and its audit; coverage bias; audit cards",
             zh="差分隐私的代价及其审计；覆盖偏差；审计卡", in_class=[(6, 5)], assignment=6),
    ],
}


def plan_block(key: str, chapters: list[Chapter], lang: str) -> str:
    w = WORDS[lang]
    by_number = {ch.number: ch for ch in chapters}
    rows = []
    for i, week in enumerate(PLANS[key], 1):
        links = ("、" if lang == "zh" else ", ").join(f"[{n}]({notebook_link(by_number[n].name, lang)})"
                                                     for n in week["chapters"])
        for c, n in week["in_class"]:
            if n not in [e.number for e in by_number[c].exercises]:
                raise ValueError(f"{key}, week {i}: chapter {c} has no exercise {n}")
        in_class = ("、" if lang == "zh" else ", ").join(w["exercise_ref"].format(c=c, n=n) for c, n in week["in_class"])
        a = week["assignment"]
        if a is None:
            assignment = w["none"]
        else:
            ch = by_number[a]
            assignment = w["points"].format(name=ch.name, auto=sum(e.auto for e in ch.exercises),
                                            hand=sum(e.hand for e in ch.exercises))
        rows.append([str(i), links, week[lang], in_class, assignment])
    released = [week["assignment"] for week in PLANS[key] if week["assignment"] is not None]
    if len(set(released)) != len(released):
        raise ValueError(f"{key}: an assignment released twice")
    return table([w["week"], w["chapters"], w["topics"], w["in_class"], w["assignment"]], rows)


# ---------------------------------------------------------------------------------------------- pages
def blocks(lang: str, timings: dict | None = None) -> dict[str, str]:
    """Every generated block of the page in ``lang``, by key."""
    if timings is None:
        timings = json.loads(TIMINGS.read_text(encoding="utf-8"))
    chapters = [chapter(name) for name in _names([])]
    out = {"machine": machine_block(chapters, timings, lang), "overview": overview_block(chapters, timings, lang)}
    for ch in chapters:
        out[f"chapter-{ch.number:02d}"] = chapter_block(ch, timings, lang)
    for key in PLANS:
        out[key] = plan_block(key, chapters, lang)
    return out


def render(page: str, generated: dict[str, str]) -> str:
    """The page with each generated block replaced by its current text."""
    found = [m.group("key") for m in BLOCK.finditer(page)]
    if sorted(found) != sorted(generated):
        raise ValueError(f"the page's generated blocks {sorted(found)} are not {sorted(generated)}")

    def fill(m: re.Match) -> str:
        key = m.group("key")
        return f"% BEGIN generated: {key} (tools/guide.py)\n{generated[key]}\n% END generated: {key}\n"

    return BLOCK.sub(fill, page)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for lang, path in PAGES.items():
        page = path.read_text(encoding="utf-8")
        new = render(page, blocks(lang))
        if new != page:
            stale.append(path)
            if not check:
                path.write_text(new, encoding="utf-8")
    for path in stale:
        print(("stale: " if check else "wrote ") + str(path.relative_to(ROOT)))
    return 1 if (check and stale) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
