/* VenueOS live updates, on top of htmx and its SSE extension (vendor/).
 *
 * - Every EventSource the extension opens is made here (htmx.createEventSource):
 *   each message is re-dispatched on `document` as a `venueos:live` event
 *   ({type, id, data}), and the last id seen per stream is remembered. The
 *   browser's own reconnects send Last-Event-ID; when the extension has to open
 *   a new EventSource (after the old one closed), the id goes in the
 *   `last_event_id` parameter, so the server replays what was missed. With no
 *   id to resume from, a `reset` is dispatched instead: the page reloads what
 *   it shows.
 * - `venueosLive.touches(event)`: an hx-trigger filter that is true when an
 *   `availability.changed` message overlaps the times the element's cells
 *   (`[data-start][data-end]`) show, or when they carry no times.
 * - `[data-live-places]` (an event's "places left"), `[data-live-feed]` (a
 *   list of changes: templates/realtime/_live_feed.html) follow the messages.
 */
(function () {
  "use strict";

  var EVENTS = [
    "booking.created", "booking.updated", "booking.cancelled",
    "availability.changed", "event.updated", "event.status_changed",
    "registration.created", "registration.cancelled", "reset",
  ];
  var lastIds = {};
  var opened = {};

  function resumeUrl(url) {
    var id = lastIds[url];
    if (!id) return url;
    var bare = url.replace(/([?&])last_event_id=[^&]*&?/, "$1").replace(/[?&]$/, "");
    return bare + (bare.indexOf("?") < 0 ? "?" : "&") + "last_event_id=" + encodeURIComponent(id);
  }

  function announce(type, id, data, url) {
    document.dispatchEvent(new CustomEvent("venueos:live", {
      detail: { type: type, id: id, data: data, url: url },
    }));
  }

  htmx.createEventSource = function (url) {
    // A page that put `last_event_id` in its URL resumes from there.
    var initial = /[?&]last_event_id=(\d+)/.exec(url);
    if (initial && !lastIds[url]) lastIds[url] = initial[1];
    var reopened = opened[url] && !lastIds[url];
    opened[url] = true;
    var source = new EventSource(resumeUrl(url), { withCredentials: true });
    EVENTS.forEach(function (type) {
      source.addEventListener(type, function (message) {
        if (message.lastEventId) lastIds[url] = message.lastEventId;
        var data = null;
        try { data = JSON.parse(message.data); } catch (error) { /* not JSON */ }
        announce(type, message.lastEventId, data, url);
      });
    });
    if (reopened) {
      // Nothing to resume from: whatever changed meanwhile is unknown.
      source.addEventListener("open", function () {
        source.dispatchEvent(new MessageEvent("reset", { data: '{"reason":"reconnected"}' }));
      }, { once: true });
    }
    return source;
  };

  function overlaps(startA, endA, startB, endB) {
    return startA < endB && startB < endA;
  }

  window.venueosLive = {
    touches: function (event) {
      var element = event.target;
      var message = event.detail || {};
      var data;
      try { data = JSON.parse(message.data); } catch (error) { return true; }
      var cells = element.querySelectorAll("[data-start][data-end]");
      if (!cells.length || !data || !data.intervals) return true;
      var from = Infinity, until = -Infinity;
      cells.forEach(function (cell) {
        from = Math.min(from, Date.parse(cell.dataset.start));
        until = Math.max(until, Date.parse(cell.dataset.end));
      });
      return data.intervals.some(function (interval) {
        return overlaps(Date.parse(interval.start_time), Date.parse(interval.end_time), from, until);
      });
    },
  };

  // An event's places left: "N of C left" or "Sold out", as the page renders it.
  function placesText(data) {
    if (data.status === "on_sale" && data.places_left <= 0) return "Sold out";
    return data.places_left + " of " + data.capacity + " left";
  }

  function refreshFromPage(selector) {
    if (!document.querySelector(selector)) return;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll(selector).forEach(function (element) {
          var replacement = element.id && fresh.getElementById(element.id);
          if (replacement) element.textContent = replacement.textContent;
        });
      });
  }

  // The feed: newest first, at most data-limit items.
  var LABELS = {
    "booking.created": "Booking made", "booking.updated": "Booking changed",
    "booking.cancelled": "Booking cancelled", "event.updated": "Event changed",
    "event.status_changed": "Event status", "registration.created": "Registration",
    "registration.cancelled": "Registration cancelled",
  };

  function when(data, zone) {
    var start = data.start_time || data.start_at;
    var end = data.end_time || data.end_at;
    if (!start) return "";
    var options = { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
    if (zone) options.timeZone = zone;
    var format = new Intl.DateTimeFormat(undefined, options);
    return format.format(new Date(start)) + (end ? " – " + format.format(new Date(end)) : "");
  }

  function feedItem(feed, detail) {
    var data = detail.data || {};
    var item = document.createElement("li");
    var label = LABELS[detail.type];
    var text = label + (data.status ? " (" + data.status.replace("_", " ") + ")" : "");
    var href = data.booking_id ? "/bookings/" + data.booking_id + "/"
      : data.event_id ? "/events/" + data.event_id + "/" : null;
    var title = document.createElement(href ? "a" : "span");
    if (href) title.href = href;
    title.textContent = text;
    item.appendChild(title);
    var extra = data.quantity ? data.quantity + " place(s)" : when(data, feed.dataset.timezone);
    if (extra) {
      var detailText = document.createElement("span");
      detailText.className = "muted";
      detailText.textContent = " " + extra;
      item.appendChild(detailText);
    }
    return item;
  }

  document.addEventListener("venueos:live", function (event) {
    var detail = event.detail;
    var data = detail.data || {};
    if (detail.type === "reset") {
      refreshFromPage("[data-live-places]");
      return;
    }
    if ((detail.type === "event.updated" || detail.type === "event.status_changed") && data.event_id) {
      document.querySelectorAll('[data-live-places][data-event-id="' + data.event_id + '"]')
        .forEach(function (element) { element.textContent = placesText(data); });
    }
    if (!LABELS[detail.type]) return;
    document.querySelectorAll("[data-live-feed]").forEach(function (feed) {
      if (feed.dataset.stream && detail.url.indexOf(feed.dataset.stream) < 0) return;
      var empty = feed.querySelector("[data-live-feed-empty]");
      if (empty) empty.remove();
      feed.insertBefore(feedItem(feed, detail), feed.firstChild);
      var limit = parseInt(feed.dataset.limit || "20", 10);
      while (feed.children.length > limit) feed.removeChild(feed.lastChild);
    });
  });
})();
