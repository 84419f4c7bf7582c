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
 *    The switch keeps the reader's place: the twins share their section ids (book/_ext/twin_anchors.py), so
 *    the switch links to the same section of the other language (the one at the top of the window).
 * 3. Widgets: the static book loads no widget JavaScript; where a notebook displayed a live ipywidgets
 *    control, a short note says that the control is live in JupyterLab and links to the chapter's
 *    "Run this chapter" box (book/_ext/book_ui.py).
 * 5. Narrow screens: whatever is wider than its column scrolls inside its own box (display math, code,
 *    tables, inline formulas wider than the column), and every box that scrolls
 *    gets the class "scrolls-x" and a shadow on the side where there is more (bilingual.css).
 * 4. Search by language: the search box of an English or Chinese page searches that language's pages
 *    (?lang=en|zh; the search page offers All / English / 中文), and result snippets show text, not TeX
 *    (nor the page's table of contents: the snippet is cut from the article itself).
 * 6. Sidebar buttons: pydata-sphinx-theme 0.17 and sphinx-book-theme 1.3 each attach their sidebar handlers to
 *    the FIRST ".primary-toggle" / ".secondary-toggle" of the page, which is pydata's own navbar button, hidden
 *    in a book-theme page; the visible buttons in the article header got no handler, so on a phone the chapter
 *    list and the page contents never opened (pydata-sphinx-theme #2451, sphinx-book-theme #988). Each visible
 *    button passes its click on to the first one, which opens the theme's sidebar dialog on a narrow screen and
 *    collapses the chapter list on a wide one, exactly as the themes intend; following a link in the dialog
 *    closes it.
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
    // the same section on the twin page: the twins share their section ids
    const follow = () => {
      const id = currentSection();
      a.href = id ? `${twin}#${encodeURIComponent(id)}` : twin;
    };
    a.addEventListener("mousedown", follow);
    a.addEventListener("focus", follow);
    a.addEventListener("click", follow);
    follow();
    buttons.prepend(a);
  }

  // The id of the section whose heading was passed last when scrolling (the one the reader is in).
  function currentSection() {
    const sections = Array.from(document.querySelectorAll("article section[id]"));
    if (!sections.length) return null;
    const hash = decodeURIComponent(window.location.hash.slice(1));
    let current = null;
    const top = Math.max(160, window.innerHeight * 0.3); // the heading sits in the upper part of the window
    for (const s of sections) {
      const heading = s.querySelector(":scope > h1, :scope > h2, :scope > h3, :scope > h4");
      if (!heading) continue;
      if (heading.getBoundingClientRect().top <= top) current = s.id;
    }
    if (!current && hash && document.getElementById(hash)) {
      const el = document.getElementById(hash).closest("section[id]");
      if (el) current = el.id;
    }
    // the page's own title section means "the top": no anchor needed
    if (current && sections[0].id === current) return null;
    return current;
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
      const box = document.getElementById("run-this-chapter");
      if (box) {
        const link = document.createElement("a");
        link.href = "#run-this-chapter";
        link.className = "widget-run-link";
        link.textContent = lang === "zh" ? "如何运行本章" : "How to run this chapter";
        link.addEventListener("click", () => { box.open = true; });
        note.append(" ", link);
      }
      view.parentNode.insertBefore(note, view);
    }
  }

  // the search boxes of an English or Chinese page search that language (search.html?q=…&lang=…)
  function searchThisLanguage() {
    if (!lang) return;
    for (const form of document.querySelectorAll('form[action$="search.html"]')) {
      if (form.querySelector('input[name="lang"]')) continue;
      const hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "lang";
      hidden.value = lang;
      form.append(hidden);
    }
  }

  // on the search page: keep only the chosen language's pages, and snippets without TeX
  function searchPage() {
    if (typeof Search === "undefined" || !document.getElementById("search-results")) return;
    const params = new URLSearchParams(window.location.search);
    const only = ["en", "zh"].includes(params.get("lang")) ? params.get("lang") : null;
    const perform = Search._performSearch;
    Search._performSearch = (...args) => {
      const results = perform(...args);
      if (!only) return results;
      // results are [docname, title, anchor, descr, score, filename]; the landing page is in both languages
      return results.filter((r) => !/(^|\/)(en|zh)\//.test(r[0]) || new RegExp(`(^|/)${only}/`).test(r[0]));
    };
    const toText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(".math, mjx-container, script[type^='math/tex'], .run-box, .headerlink")
         .forEach((el) => el.replaceWith(" … "));
      // the snippet comes from the article: not from the page's contents, header, or previous/next links
      doc.querySelectorAll(".bd-header-article, .bd-sidebar-secondary, .bd-footer-article, .prev-next-area, " +
                           ".bd-footer-content, #print-main-content, .onlyprint, nav").forEach((el) => el.remove());
      return toText(doc.documentElement.outerHTML, anchor).replace(/(\s*…\s*)+/g, " … ");
    };
    // All / English / 中文
    const q = params.get("q") || "";
    const bar = document.createElement("p");
    bar.className = "search-language";
    const choices = [[null, only === "zh" ? "全部" : "All"], ["en", "English"], ["zh", "中文"]];
    bar.append(only === "zh" ? "语言：" : "Language: ");
    choices.forEach(([value, label], i) => {
      if (i) bar.append(" · ");
      const url = new URL(window.location.href);
      if (value) url.searchParams.set("lang", value);
      else url.searchParams.delete("lang");
      url.searchParams.set("q", q);
      const a = document.createElement(value === only ? "strong" : "a");
      if (value !== only) a.href = url.pathname + url.search;
      a.textContent = label;
      if (value === "zh") a.lang = "zh-CN";
      a.dataset.lang = value || "all";
      bar.append(a);
    });
    const results = document.getElementById("search-results");
    results.parentNode.insertBefore(bar, results);
  }

  function connectSidebarButtons() {
    for (const kind of ["primary", "secondary"]) {
      const [handled, ...others] = document.querySelectorAll(`.${kind}-toggle`);
      if (!handled) continue;
      for (const button of others) {
        if (button.dataset.forwardsTo) continue;
        button.dataset.forwardsTo = kind;
        button.addEventListener("click", (event) => {
          event.preventDefault();
          event.stopPropagation();
          handled.click();
        });
      }
      // the theme leaves the dialog open over the page when a link in it is followed: on a phone, a tap on a
      // section of the contents then seems to do nothing
      const dialog = document.getElementById(`pst-${kind}-sidebar-modal`);
      if (dialog && !dialog.dataset.closesOnLink) {
        dialog.dataset.closesOnLink = "1";
        dialog.addEventListener("click", (event) => {
          if (event.target.closest && event.target.closest("a[href]") && dialog.open) dialog.close();
        });
      }
    }
  }

  function markScrollers() {
    const article = document.querySelector("article") || document.body;
    // an inline formula wider than the column scrolls (the theme would clip it); a pixel or two of
    // italic overhang is not "wider" (no scroll bar, no cue for that)
    // (measured on the typeset box: MathJax's hidden copy for screen readers inflates scrollWidth)
    for (const m of article.querySelectorAll("span.math")) {
      const box = m.querySelector("mjx-container");
      const block = m.parentElement && m.parentElement.closest("p, li, dd, dt, td, th, div, blockquote");
      m.classList.toggle("math-scroll", !!(box && block && box.getBoundingClientRect().width > block.clientWidth + 1));
    }
    for (const el of article.querySelectorAll("*")) {
      const cs = getComputedStyle(el);
      const scrolls = /(auto|scroll)/.test(cs.overflowX) && el.scrollWidth > el.clientWidth + 4;
      el.classList.toggle("scrolls-x", scrolls);
      if (!scrolls) continue;
      const update = () => {
        el.classList.toggle("at-start", el.scrollLeft <= 1);
        el.classList.toggle("at-end", el.scrollLeft + el.clientWidth >= el.scrollWidth - 1);
      };
      update();
      if (!el.dataset.scrollCue) {
        el.dataset.scrollCue = "1";
        el.addEventListener("scroll", update, { passive: true });
      }
    }
    document.documentElement.dataset.scrollCues = "ready";
  }

  function afterMath(callback) {
    const t0 = Date.now();
    (function wait() {
      const mj = window.MathJax;
      if (mj && mj.startup && mj.startup.promise) mj.startup.promise.then(callback, callback);
      else if (!document.querySelector(".math") || Date.now() - t0 > 20000) callback();
      else setTimeout(wait, 50);
    })();
  }

  function onReady() {
    afterMath(markScrollers);
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(markScrollers, 150);
    });
    connectSidebarButtons();
    addLanguageButton();
    noteWidgets();
    searchThisLanguage();
    searchPage();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", onReady);
  else onReady();
})();
