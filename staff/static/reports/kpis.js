/* The key figures of the period as tiles. A tile with conversations behind it is a button that
 * lists them (the drill-down); each tile keeps its raw figure in data-value. */

import { $, clear, el } from "../common/dom.js";
import { openDrill } from "./drill.js";
import { count, rate, score, span } from "./labels.js";
import { state } from "./state.js";

/** First-response SLA over every queue: tickets answered in time of all tickets with a target. */
export function slaOverall(byQueue) {
  var met = 0;
  var tickets = 0;
  Object.keys(byQueue || {}).forEach(function (q) {
    met += byQueue[q].met || 0;
    tickets += byQueue[q].tickets || 0;
  });
  return { met: met, tickets: tickets, rate: tickets ? met / tickets : null };
}

function csatSub(csat) {
  return csat && csat.count ? count(csat.count) + " 份评价 ratings" : "暂无评价 No ratings";
}

/** The tiles, in reading order: what the bot did, then what people did. */
function tiles(s) {
  var bot = s.bot;
  var people = s.people;
  var sla = slaOverall(people.sla_by_queue);
  return [
    { key: "conversations", zh: "会话量", en: "Conversations", value: bot.conversations, text: count(bot.conversations),
      sub: "转人工 " + count(bot.handoffs) + " handoffs" },
    { key: "containment", zh: "机器人解决率", en: "Containment", value: bot.containment_rate, text: rate(bot.containment_rate),
      sub: count(bot.contained) + " 个会话未转人工 contained", metric: "contained" },
    { key: "fallback", zh: "没听懂率", en: "Fallback rate", value: bot.fallback_rate, text: rate(bot.fallback_rate),
      sub: "猜您想问 did-you-mean " + rate(bot.did_you_mean_rate), metric: "fallback" },
    { key: "handoffs", zh: "转人工", en: "Handoffs", value: people.handoffs, text: count(people.handoffs),
      sub: "转接 " + count(people.transfers) + " transfers", metric: "handoff" },
    { key: "answer-rate", zh: "接通率", en: "Answer rate", value: people.answer_rate, text: rate(people.answer_rate),
      sub: "时限内 in target " + rate(people.answer_rate_in_target), metric: "answered" },
    { key: "sla", zh: "首响达标率", en: "SLA compliance", value: sla.rate, text: rate(sla.rate),
      sub: count(sla.met) + " / " + count(sla.tickets) + " 按时 on time", metric: "sla_missed" },
    { key: "fcr", zh: "首次解决率", en: "First-contact resolution", value: people.fcr_rate, text: rate(people.fcr_rate),
      sub: count(people.first_contact_resolved) + " / " + count(people.resolved) + " 已解决 resolved", metric: "fcr" },
    { key: "bot-csat", zh: "机器人满意度", en: "Bot CSAT", value: bot.csat && bot.csat.average, text: score(bot.csat && bot.csat.average),
      sub: csatSub(bot.csat), unit: "/ 5", metric: "low_csat" },
    { key: "human-csat", zh: "人工满意度", en: "Human CSAT", value: people.csat && people.csat.average,
      text: score(people.csat && people.csat.average), sub: csatSub(people.csat), unit: "/ 5", metric: "low_csat" },
    { key: "aht", zh: "平均处理时长", en: "Avg handle time", value: people.handle_seconds_average,
      text: span(people.handle_seconds_average), sub: "分:秒 min:sec", metric: "answered" },
    { key: "wait", zh: "排队等待", en: "Wait (median)", value: people.wait_seconds && people.wait_seconds.p50,
      text: span(people.wait_seconds && people.wait_seconds.p50), sub: "p90 " + span(people.wait_seconds && people.wait_seconds.p90) },
    { key: "first-response", zh: "首次响应", en: "First response (median)",
      value: people.first_response_seconds && people.first_response_seconds.p50,
      text: span(people.first_response_seconds && people.first_response_seconds.p50),
      sub: "p90 " + span(people.first_response_seconds && people.first_response_seconds.p90) }
  ];
}

function tile(t) {
  var node = el(t.metric ? "button" : "div", "kpi" + (t.metric ? " drillable" : ""));
  node.setAttribute("data-kpi", t.key);
  node.setAttribute("data-value", t.value === null || t.value === undefined ? "" : String(t.value));
  if (t.metric) {
    node.type = "button";
    node.setAttribute("data-metric", t.metric);
    node.addEventListener("click", function () { openDrill({ metric: t.metric }); });
  }
  var label = el("span", "kpi-label", t.zh + " ");
  label.appendChild(el("span", "en", t.en));
  node.appendChild(label);
  var value = el("span", "kpi-value", t.text);
  if (t.unit && t.text !== "—") value.appendChild(el("span", "kpi-unit", " " + t.unit));
  node.appendChild(value);
  node.appendChild(el("span", "kpi-sub", t.sub));
  if (t.metric) node.appendChild(el("span", "kpi-more", "明细 ›"));
  return node;
}

export function renderKpis() {
  var box = $("kpis");
  clear(box);
  tiles(state.summary).forEach(function (t) { box.appendChild(tile(t)); });
}
