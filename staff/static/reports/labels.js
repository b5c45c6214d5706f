/* The report page's words: a readable zh/en name for every code the report API returns (handoff
 * reasons, topics, queues, conversation states, drill-down metrics), and figures as shown. A code
 * nobody named here is shown as it is, never dropped. */

import { formatSpan, parseDate } from "../common/time.js";
import { state } from "./state.js";

// Why the bot handed over (bot/escalation.py REASONS; "offline" is a ticket left after hours).
export var REASONS = {
  human_request: ["客户要求转人工", "Asked for a person"],
  complaint: ["客户投诉", "Complaint"],
  anger: ["客户情绪激动", "Angry customer"],
  fallback: ["机器人连续没听懂", "Bot did not understand"],
  slot_failed: ["没提供有效订单号", "No valid order number"],
  order_not_found: ["查不到订单", "Order not found"],
  verification_failed: ["身份验证失败", "Verification failed"],
  tracking_stuck: ["物流超 72 小时未更新", "Tracking stuck 72 h"],
  remittance_overdue: ["货款超期未打款", "Remittance overdue"],
  remittance_review: ["货款风控审核中", "Remittance under review"],
  remittance_held: ["货款挂账", "Remittance on hold"],
  claim: ["理赔登记", "Claim"],
  lookup_unavailable: ["订单系统查询失败", "Lookup unavailable"],
  keyword: ["命中人工关键词", "Staff keyword"],
  high_value: ["高额订单", "High-value order"],
  offline: ["非工作时间留言", "After hours"]
};

// The topics every entry is filed under (knowledge_base/topics.py); English from /api/kb/topics
// when a topic is not named here.
export var TOPICS = {
  shipping_speed: ["发货与配送时效", "Delivery times"],
  shipping_fee: ["运费与配送范围", "Shipping fees"],
  order_status: ["查货 · 订单物流", "Order status"],
  payment_arrival: ["查款 · 货款到账", "Payment arrival"],
  payment_method: ["支付方式", "Payment methods"],
  invoice: ["发票", "Invoices"],
  address_change: ["修改地址", "Address change"],
  cancellation: ["取消订单", "Cancellation"],
  refund: ["退货退款", "Returns and refunds"],
  claim: ["理赔", "Claims"],
  stock: ["库存与预售", "Stock"],
  product_info: ["商品信息", "Product info"],
  account: ["账户与积分", "Account"],
  promotion: ["优惠活动", "Promotions"],
  complaint: ["投诉", "Complaints"],
  service_info: ["服务时间与联系方式", "Service info"],
  human_request: ["要求转人工", "Asks for a person"],
  greeting: ["问候", "Greeting"],
  goodbye: ["道别", "Goodbye"],
  thanks: ["致谢", "Thanks"],
  chitchat: ["闲聊", "Chit-chat"],
  affirm: ["肯定", "Yes"],
  deny: ["否定", "No"],
  out_of_scope: ["超出服务范围", "Out of scope"]
};

export var STATES = {
  bot: ["机器人服务中", "With the bot"],
  pending_handoff: ["等待人工", "Waiting for a person"],
  human: ["人工服务中", "With a person"],
  closed: ["已结束", "Closed"]
};

// What the drill-down lists; `pair` is the other side of the same figure.
export var METRICS = {
  contained: { zh: "机器人独立解决", en: "Contained by the bot", pair: "not_contained" },
  not_contained: { zh: "机器人未能解决", en: "Not contained", pair: "contained" },
  fallback: { zh: "机器人没听懂", en: "Bot fallbacks" },
  handoff: { zh: "转人工", en: "Handed to a person" },
  answered: { zh: "人工已接通", en: "Answered", pair: "missed" },
  missed: { zh: "人工未接通", en: "Not answered", pair: "answered" },
  sla_missed: { zh: "超出首响时限", en: "First-response SLA missed" },
  fcr: { zh: "首次解决", en: "Resolved at first contact", pair: "not_fcr" },
  not_fcr: { zh: "未首次解决", en: "Not resolved at first contact", pair: "fcr" },
  low_csat: { zh: "低满意度（1–2 分）", en: "Low CSAT (1–2)" }
};

function named(table, code) {
  var pair = table[code];
  return pair ? pair[0] + " " + pair[1] : String(code === null || code === undefined ? "" : code);
}

export function reasonName(code) { return named(REASONS, code); }
export function stateName(code) { return named(STATES, code); }

export function topicName(code) {
  if (!code || code === "none") return "未识别主题 No topic";
  if (TOPICS[code]) return named(TOPICS, code);
  var described = state.topics[code];
  return described ? code + " · " + described : String(code);
}

export function queueName(id) {
  if (!id) return "—";
  var q = state.queues[id];
  return q ? q.name_zh + " " + q.name_en : String(id);
}

export function metricName(code) {
  var m = METRICS[code];
  return m ? m.zh + " " + m.en : String(code);
}

export var NONE = "—";

function missing(x) { return x === null || x === undefined || (typeof x === "number" && isNaN(x)); }

/** 0.8734 -> "87.3%"; nothing to divide by -> "—". */
export function rate(x) { return missing(x) ? NONE : (Number(x) * 100).toFixed(1) + "%"; }

/** 4.256 -> "4.26"; none -> "—". A CSAT {average, count} shows its average. */
export function score(x) {
  if (x && typeof x === "object") x = x.average;
  return missing(x) ? NONE : Number(x).toFixed(2);
}

/** Seconds as m:ss or h:mm:ss; none -> "—". */
export function span(x) { return missing(x) ? NONE : formatSpan(Number(x)); }

/** 12345 -> "12,345". */
export function count(x) { return missing(x) ? NONE : Number(x).toLocaleString("en-US"); }

/** A rate as a number of percent for a chart (one decimal); none stays a gap. */
export function percent(x) { return missing(x) ? null : Math.round(Number(x) * 1000) / 10; }

function parts(d, options) {
  var out = {};
  new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: state.zone, hourCycle: "h23" }, options))
    .formatToParts(d).forEach(function (p) { out[p.type] = p.value; });
  return out;
}

/** The desk's calendar day of a moment, "YYYY-MM-DD". */
export function deskDay(d) {
  var p = parts(d, { year: "numeric", month: "2-digit", day: "2-digit" });
  return p.year + "-" + p.month + "-" + p.day;
}

/** A server timestamp on the desk's clock, "11-20 09:05" (the report's days are the desk's). */
export function deskTime(value) {
  var d = parseDate(value);
  if (!d) return value ? String(value) : NONE;
  var p = parts(d, { month: "numeric", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  return p.month + "-" + p.day + " " + p.hour + ":" + p.minute;
}
