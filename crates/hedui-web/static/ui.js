// hedui's only script, served from the node itself (the CSP allows no other): buttons that print
// the page, a report's calculation fetched when it is opened, and ID numbers checked as they are
// typed (GB 11643: length, birth date, check digit).
// Everything works without it; the server checks every number again.
// A page served in English (`<html lang="en">`) gets the messages in English.
function heduiSay(zh, en) {
  return document.documentElement.lang === "en" ? en : zh;
}
function heduiIdCheck(v) {
  v = v.trim().toUpperCase();
  if (v === "") return null;
  var birth, sexDigit;
  if (/^\d{15}$/.test(v)) {
    birth = "19" + v.substr(6, 6);
    sexDigit = +v.charAt(14);
  } else if (/^\d{17}[\dX]$/.test(v)) {
    var w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], sum = 0;
    for (var i = 0; i < 17; i++) sum += (+v.charAt(i)) * w[i];
    var check = "10X98765432".charAt(sum % 11);
    if (v.charAt(17) !== check) return { ok: false, text: heduiSay("校验码错误（第 18 位应为 " + check + "），请核对证件", "Wrong check digit (the 18th should be " + check + "): check the document") };
    birth = v.substr(6, 8);
    sexDigit = +v.charAt(16);
  } else if (v.length < 18 && /^\d*$/.test(v)) {
    return { ok: false, text: heduiSay("还差 " + (18 - v.length) + " 位", (18 - v.length) + " digits to go") };
  } else {
    return { ok: false, text: heduiSay("身份证号应为 18 位（末位可为 X）或旧 15 位数字", "An ID number has 18 characters (the last may be X), or 15 digits for an old one") };
  }
  var y = +birth.substr(0, 4), m = +birth.substr(4, 2), d = +birth.substr(6, 2);
  var date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d || date > new Date())
    return { ok: false, text: heduiSay("出生日期 " + birth + " 无效", "Birth date " + birth + " is not valid") };
  var born = y + "-" + birth.substr(4, 2) + "-" + birth.substr(6, 2);
  return { ok: true, text: heduiSay(
    "号码有效：出生 " + born + "，" + (sexDigit % 2 ? "男" : "女") + (v.length === 15 ? "（旧 15 位号码，将升位）" : ""),
    "Valid: born " + born + ", " + (sexDigit % 2 ? "male" : "female") + (v.length === 15 ? " (an old 15-digit number, to be upgraded)" : "")) };
}
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  // A long import's progress, asked for every half second until it is done.
  document.querySelectorAll("[data-poll]").forEach(function (box) {
    var bar = box.querySelector("progress"), count = box.querySelector("#import-count");
    var tick = function () {
      fetch(box.getAttribute("data-poll"), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
        if (bar) { bar.max = Math.max(s.total, 1); bar.value = s.done; }
        if (count) count.textContent = s.done + " / " + s.total;
        if (s.finished) { window.location.reload(); } else { setTimeout(tick, 500); }
      }).catch(function () { setTimeout(tick, 2000); });
    };
    if (!box.querySelector(".tag") && !box.querySelector("[data-finished]")) setTimeout(tick, 300);
  });
  // A started job's sources, asked for every two seconds while it waits; the page reloads when
  // the job moves on (its report made). Polling stops after half an hour.
  document.querySelectorAll("[data-live]").forEach(function (table) {
    var state = table.getAttribute("data-state"), started = Date.now();
    if (state !== "dispatched" && state !== "partially_returned") return;
    var tick = function () {
      fetch(table.getAttribute("data-live"), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (p) {
        if (p.state !== state) { window.location.reload(); return; }
        p.sources.forEach(function (s) {
          var row = table.querySelector("tr[data-source='" + s.source + "']");
          if (!row) return;
          row.querySelector("td.open").textContent = s.open;
          row.querySelector("td.deadline").textContent = s.deadline || "";
          var tag = row.querySelector("td.state .tag");
          tag.className = "tag " + s.state;
          tag.textContent = s.state_name;
          row.classList.toggle("overdue", s.state === "late");
        });
        var open = document.getElementById("open-count"), late = document.getElementById("late-count");
        if (open) open.textContent = p.open;
        if (late) late.textContent = p.late;
        if (Date.now() - started < 1800000) setTimeout(tick, 2000);
      }).catch(function () { setTimeout(tick, 5000); });
    };
    setTimeout(tick, 1000);
  });
  // A report's calculation (计算过程), fetched from its own page the first time it is opened.
  document.querySelectorAll("details[data-src]").forEach(function (d) {
    var pre = d.querySelector("pre");
    d.addEventListener("toggle", function () {
      if (!d.open || d.hasAttribute("data-loading") || d.hasAttribute("data-loaded")) return;
      d.setAttribute("data-loading", "");
      fetch(d.getAttribute("data-src"), { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.text();
      }).then(function (html) {
        var t = new DOMParser().parseFromString(html, "text/html").getElementById("trace");
        if (!t) throw new Error("no #trace");
        pre.textContent = t.textContent;
        d.setAttribute("data-loaded", "");
      }).catch(function () {
        pre.textContent = heduiSay("计算过程未能读取，请关闭后重新打开", "How it was computed could not be read: close this and open it again");
      }).finally(function () { d.removeAttribute("data-loading"); });
    });
  });
  document.querySelectorAll("input[data-idcheck]").forEach(function (input) {
    var msg = (input.closest("td, form") || input.parentNode).querySelector(".idmsg");
    var show = function () {
      var r = heduiIdCheck(input.value);
      input.classList.toggle("bad", !!r && !r.ok);
      if (msg) {
        msg.textContent = r ? r.text : "";
        msg.className = "idmsg " + (r ? (r.ok ? "ok" : "bad") : "muted");
      }
    };
    input.addEventListener("input", show);
    show();
  });
});
