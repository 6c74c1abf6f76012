"""Community stance dashboard: `streamlit run dashboards/app.py` (see README).

Reads a read-only snapshot of the database (or the published copy, setting SENTIMENT_DASHBOARD_DB),
so it never blocks a running flow. All comment text is shown as plain text (never as HTML).
"""

from __future__ import annotations

import os
from pathlib import Path

import altair as alt
import streamlit as st

from sentiment import dashboard as data
from sentiment.brief.charts import COLORS
from sentiment.settings import get_settings

st.set_page_config(page_title="Community stance", layout="wide")


@st.cache_resource(show_spinner="Taking a read-only snapshot of the database…", max_entries=2)
def _snapshot(db: str, mtime: float, published: str | None):
    """One snapshot per database version: a new copy when the file changes."""
    return data.open_snapshot(get_settings())


def _key(settings) -> tuple[str, float, str | None]:
    path = Path(settings.dashboard_db or settings.db)
    mtime = os.path.getmtime(path) if path.exists() else 0.0
    return str(path), mtime, str(settings.dashboard_db) if settings.dashboard_db else None


settings = get_settings()
st.title("Community stance")
try:
    snap = _snapshot(*_key(settings))
except (FileNotFoundError, data.DatabaseBusy) as exc:  # one line within seconds, never a traceback
    st.error(str(exc))
    st.stop()
con = snap.con.cursor()
opts = data.options(con)
st.caption(f"Data as of the last trends refresh ({opts.refreshed_at or 'never'}); reading "
           f"{'a snapshot of ' if snap.copied else ''}{snap.source}.")
if not opts.sources:
    st.warning("No trend data yet: run `sentiment trends` (or `sentiment demo`).")
    st.stop()

NO_EVENT = ""  # the event filter's "no event" choice: the comment table then shows the date range

with st.sidebar:
    st.header("Filters")
    sources = st.multiselect("Source", opts.sources, default=opts.sources)
    event_names = {NO_EVENT: "No event: comments in the date range"} | {
        row.event_id: f"{row.name} ({row.occurred_at:%Y-%m-%d})" for row in opts.events.itertuples()}
    event_id = st.selectbox("Event", list(event_names), format_func=event_names.get,
                            index=len(event_names) - 1,
                            help="The before/after table and the comment table follow the chosen event's windows.")
    event_id = event_id or None
    dates = st.date_input("Date range", value=(opts.first_day, opts.last_day),
                          min_value=opts.first_day, max_value=opts.last_day)
    labels = st.multiselect("Stance", data.all_labels(), default=data.all_labels())

start, end = (dates if isinstance(dates, (tuple, list)) and len(dates) == 2 else (opts.first_day, opts.last_day))
if not sources or not labels:
    st.info("Choose at least one source and one stance.")
    st.stop()


def stance_chart(series, markers) -> alt.LayerChart:
    """Lines of the 7-day rolling share, bands of its Wilson 95% interval, daily dots sized by volume
    and named event lines. Lines and bands are drawn per run of consecutive days with comments
    (``segment``), so an empty day breaks them instead of being bridged."""
    color = alt.Color("label:N", scale=alt.Scale(domain=list(COLORS), range=list(COLORS.values())),
                      title="stance")
    title = "7-day rolling share (band: 95% interval)"
    base = alt.Chart(series).encode(x=alt.X("day:T", title=None), color=color, detail="segment:N")
    bands = base.mark_area(opacity=0.15).encode(
        y=alt.Y("ci_low:Q", axis=alt.Axis(format="%"), title=title), y2="ci_high:Q")
    lines = base.mark_line(strokeWidth=2).encode(
        y=alt.Y("share_7d:Q", axis=alt.Axis(format="%"), title=title),
        tooltip=["day:T", "label:N", alt.Tooltip("share_7d:Q", format=".0%", title="7-day share"),
                 alt.Tooltip("ci_low:Q", format=".0%", title="95% low"),
                 alt.Tooltip("ci_high:Q", format=".0%", title="95% high"),
                 alt.Tooltip("n_day_7d:Q", title="comments in 7 days"),
                 alt.Tooltip("share:Q", format=".0%", title="this day"),
                 alt.Tooltip("n_day:Q", title="comments this day")])
    dots = alt.Chart(series).mark_circle(opacity=0.35).encode(
        x="day:T", y=alt.Y("share:Q", axis=alt.Axis(format="%"), title=title), color=color,
        size=alt.Size("n_day:Q", legend=None))
    layers = [bands, lines, dots]
    if not markers.empty:
        rules = alt.Chart(markers).mark_rule(strokeDash=[4, 3], color="black").encode(
            x="occurred_at:T", tooltip=["name:N", "occurred_at:T"])
        names = alt.Chart(markers).mark_text(align="left", baseline="top", dx=4, dy=4, angle=0,
                                             fontSize=11, color="black").encode(
            x="occurred_at:T", y=alt.value(0), text="name:N")
        layers += [rules, names]
    return alt.layer(*layers).properties(height=320)


st.subheader("Stance over time")
series = data.stance_over_time(con, sources, start, end, labels)
markers = data.event_markers(con, start, end)
if series.empty:
    st.info("No classified documents in this range.")
else:
    st.altair_chart(stance_chart(series, markers), width="stretch")
    st.caption("**Line**: each stance's share of the comments in the 7 days up to that day (the model's labels, "
               "not corrected by the audit). "
               "**Band**: that 7-day share's Wilson 95% interval, from the same 7 days' counts; comments in "
               "one thread are not independent, so the real uncertainty is wider. **Dots**: the day's own "
               "share, sized by its comments. **Dashed lines**: events. A day without comments breaks the "
               "line and band instead of being drawn across.")

st.subheader("Before and after the event")
if event_id is None:
    st.info("Choose an event in the sidebar to compare the week before it with the week after.")
else:
    context = data.event_threads(con, event_id, min_n=settings.min_window_n)
    if context.overlaps:
        names = ", ".join(f"“{data.markdown_literal(name)}”" for name in context.overlaps)
        st.warning(f"Its windows overlap those of {names}: these events' shifts share comments; "
                   "read them together, not as separate moves.")
    table = data.before_after(con, event_id, sources, labels)
    if table.empty:
        st.info("No before/after figures for this event (run `sentiment trends`).")
    else:
        if table["too_small"].any():
            st.caption("Rows marked too_small have a window under "
                       f"{settings.min_window_n} documents: read them as hints, not findings.")
        st.caption(" · ".join(f"**{name}**: {meaning}" for name, meaning in data.METHOD_LEGEND.values()))
        st.caption(data.audit_summary(con))
        st.dataframe(table, hide_index=True, width="stretch")
    st.markdown("**Where the comments come from** (largest threads of each window, all sources and stances)")
    st.dataframe(context.top, hide_index=True, width="stretch",
                 column_config={"share_pct": st.column_config.NumberColumn("share of window (%)")})
    st.caption(context.summary)
    if not context.within.empty:
        st.dataframe(context.within, hide_index=True, width="stretch")

st.subheader("Comments")
if event_id is None:
    rows = data.comments(con, sources, start, end, labels)
    st.caption(f"{len(rows)} comments shown from {start:%Y-%m-%d} to {end:%Y-%m-%d} "
               "(most confident first, at most 500).")
else:
    rows = data.event_comments(con, event_id, sources, labels)
    spans = data.event_windows(con, event_id, sources, labels)
    shown = rows["window"].value_counts()
    st.caption(f"{len(rows)} comments shown from the event's windows, as in the before/after table (the date "
               "range does not apply; most confident first, at most 250 a window): " + "; ".join(
                   f"{w.name}, {w.first:%Y-%m-%d} to {w.last:%Y-%m-%d}: {int(shown.get(w.name, 0))} of {w.n}"
                   for w in spans) + ".")
st.dataframe(rows, hide_index=True, width="stretch",
             column_config={"url": st.column_config.LinkColumn("link"),
                            "confidence": st.column_config.NumberColumn(format="%.2f")})
