/* The console's words for the desk's codes (statuses, handoff reasons, labels …) and names for ids. */

import { state } from "./state.js";

export var PRESENCE = { online: "在线", away: "离开", offline: "离线" };
export var STATUS = {
  queued: "排队中 Waiting",
  assigned: "处理中 In progress",
  resolved: "已解决 Resolved",
  handed_back: "已交回机器人 Handed back",
  offline: "非工作时间留言 After hours"
};
export var REASONS = {
  human_request: "客户要求转人工",
  complaint: "客户投诉",
  anger: "客户情绪激动",
  fallback: "机器人连续两次没听懂",
  slot_failed: "两次没提供有效订单号",
  order_not_found: "两次都没查到订单",
  verification_failed: "身份验证两次失败",
  tracking_stuck: "物流超过 72 小时未更新",
  remittance_overdue: "货款超期未打款",
  remittance_review: "货款风控审核中",
  remittance_held: "货款挂账，收款账户需要审核变更",
  claim: "理赔登记",
  lookup_unavailable: "订单系统查询失败",
  keyword: "命中人工关键词",
  offline: "非工作时间留言"
};
export var LABELS = {
  anger: "愤怒 anger",
  vip: "VIP",
  claim: "理赔 claim",
  major_complaint: "重大投诉 major",
  complaint: "投诉 complaint",
  high_value: "高额 high value",
  keyword: "关键词 keyword",
  offered: "推荐给你 for you"
};
export var AUTHORS = { customer: "客户 Customer", bot: "机器人 Bot", agent: "客服", system: "系统 System" };
export var LOOKUP_KINDS = {
  order: "订单 Order", shipment: "物流 Shipment", remittance: "货款 Remittance",
  refund: "退款 Refund", claim: "理赔 Claim", payment: "支付 Payment", stock: "库存 Stock"
};

export function queueName(id) {
  var q = state.queues[id];
  return q ? q.name_zh + " " + q.name_en : String(id || "");
}

/** A ticket's label in words; from_<queue> (it overflowed from that queue) names the queue with
 * `nameQueue` (the console's queueName unless a page names queues its own way). */
export function labelText(label, nameQueue) {
  var from = /^from_(.+)$/.exec(String(label));
  if (from) return "溢出 from " + (nameQueue || queueName)(from[1]);
  return LABELS[label] || String(label);
}

export function reasonText(code) {
  return REASONS[code] ? REASONS[code] + " (" + code + ")" : String(code || "");
}

export function colleagueName(id) {
  var me = state.me;
  if (me && id === me.id) return me.display_name;
  var colleagues = state.colleagues;
  for (var i = 0; i < colleagues.length; i++) if (colleagues[i].id === id) return colleagues[i].display_name;
  return id ? "#" + id : "";
}
