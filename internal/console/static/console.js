// Tusk console: live updates without reloading the page.
//
// Parts of a page marked data-live are fetched again and swapped in when
// the server's /events stream reports a commit, or a job whose state or
// progress changed. A <pre> with data-follow appends the log lines its
// event stream sends.
"use strict";

(function () {
	var timer = null;
	var busy = false;

	function refresh() {
		clearTimeout(timer);
		timer = setTimeout(swapLiveParts, 250);
	}

	// swapLiveParts fetches the page again and replaces each live part
	// that changed, keeping the keyboard focus on the same link.
	function swapLiveParts() {
		if (busy) {
			refresh();
			return;
		}
		busy = true;
		fetch(location.href, { headers: { Accept: "text/html" }, cache: "no-store" })
			.then(function (resp) { return resp.ok ? resp.text() : null; })
			.then(function (html) {
				if (html === null) return;
				var doc = new DOMParser().parseFromString(html, "text/html");
				var active = document.activeElement;
				var href = active && active.getAttribute ? active.getAttribute("href") : null;
				document.querySelectorAll("[data-live]").forEach(function (part) {
					var fresh = doc.getElementById(part.id);
					if (!fresh || fresh.innerHTML === part.innerHTML) return;
					var hadFocus = part.contains(active);
					part.replaceWith(fresh);
					if (hadFocus && href) {
						var again = fresh.querySelector('[href="' + CSS.escape(href) + '"]');
						if (again) again.focus();
					}
				});
				document.dispatchEvent(new CustomEvent("tusk:refreshed"));
			})
			.catch(function () {})
			.finally(function () { busy = false; });
	}

	if (document.querySelector("[data-live]")) {
		var events = new EventSource("/events");
		events.addEventListener("commit", refresh);
		events.addEventListener("job", refresh);
	}

	var logs = document.querySelector("pre[data-follow]");
	if (logs) {
		var stream = new EventSource(logs.dataset.follow);
		var status = document.getElementById("follow-status");
		stream.addEventListener("line", function (e) {
			var line = JSON.parse(e.data);
			var atBottom = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
			var none = logs.querySelector(".none");
			if (none) none.remove();
			var span = document.createElement("span");
			span.className = line.user ? "line" : "line sys";
			var time = document.createElement("time");
			time.dateTime = line.iso;
			time.textContent = line.time;
			span.append(time, " " + line.message);
			logs.append(span, "\n");
			if (atBottom) logs.scrollTop = logs.scrollHeight;
		});
		stream.addEventListener("end", function () {
			stream.close();
			if (status) status.textContent = "The job has finished; these are all the lines.";
		});
	}
})();
