/*
 * Bilingual helpers for the static book (loaded on every page, before Sphinx's searchtools.js).
 *
 * 1. Search: Sphinx builds ONE index for the whole book (html_search_language = zh: jieba segments the
 *    Chinese text, English words are stemmed). Its query splitter only splits on spaces and punctuation,
 *    so a Chinese query such as "生成对抗网络" would be looked up as one term that jieba never produced.
 *    The splitter below cuts each Chinese run of the query into the longest terms that the index itself
 *    contains (forward maximum matching), so a query is segmented with the same vocabulary as the pages.
 * 2. Language: pages under .../zh/ are marked lang="zh-CN" (correct CJK glyphs, screen readers), and every
 *    page that has a twin in the other language gets a "中文" / "English" button in its header.
 * 3. Widgets: the static book loads no widget JavaScript; where a notebook displayed a live ipywidgets
 *    control, a short note says that the control is live in JupyterLab.
 */
"use strict";

var splitQuery = (function () {
  const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
  const basicSplit = (query) =>
    query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu).filter((term) => term);

  function indexVocabulary() {
    // searchtools.js declares `const Search`: a global binding, but not a property of window
    const index = typeof Search !== "undefined" && Search._index;
    if (!index) return null;
    if (!index._cjkVocabulary) {
      const vocab = new Set();
      let longest = 1;
      for (const table of [index.terms || {}, index.titleterms || {}]) {
        for (const term of Object.keys(table)) {
          if (CJK.test(term)) {
            vocab.add(term);
            longest = Math.max(longest, term.length);
          }
        }
      }
      index._cjkVocabulary = { vocab, longest };
    }
    return index._cjkVocabulary;
  }

  function segment(run, vocabulary) {
    if (!vocabulary) return [run];
    const { vocab, longest } = vocabulary;
    const out = [];
    let i = 0;
    while (i < run.length) {
      let match = "";
      for (let len = Math.min(longest, run.length - i); len >= 2; len--) {
        const candidate = run.substr(i, len);
        if (vocab.has(candidate)) {
          match = candidate;
          break;
        }
      }
      if (match) {
        out.push(match);
        i += match.length;
      } else {
        i += 1; // a lone character: the index keeps no one-character terms
      }
    }
    return out.length ? out : [run];
  }

  return function (query) {
    const vocabulary = indexVocabulary();
    const terms = [];
    for (const token of basicSplit(query)) {
      if (!CJK.test(token)) {
        terms.push(token);
        continue;
      }
      // keep the whole token when the index knows it (e.g. a glossary term jieba keeps whole)
      if (vocabulary && vocabulary.vocab.has(token)) {
        terms.push(token);
        continue;
      }
      // split mixed tokens ("GAN生成器") into Latin and Chinese runs
      for (const run of token.match(/[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g)) {
        if (CJK.test(run)) terms.push(...segment(run, vocabulary));
        else terms.push(run);
      }
    }
    return terms;
  };
})();

(function () {
  const match = window.location.pathname.match(/^(.*\/)(en|zh)\/([^/]+\.html)$/);
  const lang = match ? match[2] : null;
  if (lang === "zh") document.documentElement.lang = "zh-CN";

  function addLanguageButton() {
    if (!match) return;
    const other = lang === "en" ? "zh" : "en";
    const twin = `../${other}/${match[3]}`;
    // Only pages whose content links to their twin get the button (so it never points nowhere).
    const article = document.querySelector("article") || document.body;
    const hasTwin = Array.from(article.querySelectorAll("a[href]")).some(
      (a) => new URL(a.getAttribute("href"), window.location.href).pathname ===
        new URL(twin, window.location.href).pathname
    );
    const buttons = document.querySelector(".article-header-buttons");
    if (!hasTwin || !buttons || buttons.querySelector(".language-switch")) return;
    const a = document.createElement("a");
    a.href = twin;
    a.className = "btn btn-sm language-switch";
    a.lang = other === "zh" ? "zh-CN" : "en";
    a.textContent = other === "zh" ? "中文" : "English";
    a.title = other === "zh" ? "阅读中文版" : "Read in English";
    a.setAttribute("aria-label", a.title);
    buttons.prepend(a);
  }

  function noteWidgets() {
    const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
    for (const view of views) {
      if (view.previousElementSibling && view.previousElementSibling.classList.contains("widget-static-note")) continue;
      const note = document.createElement("p");
      note.className = "widget-static-note";
      note.textContent = lang === "zh"
        ? "此处是一个交互控件：在 JupyterLab 中运行本笔记本即可操作；静态网页版中请参看它对应的静态图。"
        : "An interactive control is here when this notebook runs in JupyterLab; the static book shows its figure instead.";
      view.parentNode.insertBefore(note, view);
    }
  }

  function onReady() {
    addLanguageButton();
    noteWidgets();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", onReady);
  else onReady();
})();
