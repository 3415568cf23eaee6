// An SMSC built on the independent `smpp` package from the npm registry (not written here),
// for Relais's interoperability tests. Usage: node smsc.js PORT
// Prints "listening PORT", then one JSON line per submit_sm it accepted. Each accepted
// message gets a decimal message_id and, 20 ms later, a delivery receipt on the same session.
// Writing "mo SOURCE DESTINATION TEXT" on stdin sends an inbound SMS to every bound session.
"use strict";
const smpp = require("smpp");
const readline = require("readline");

const port = Number(process.argv[2] || 2775);
let counter = 1000;
const sessions = new Set();

function receiptText(id, stat) {
  return `id:${id} sub:001 dlvrd:${stat === "DELIVRD" ? "001" : "000"} submit date:2401011200 ` +
    `done date:2401011201 stat:${stat} err:000 text:`;
}

const server = smpp.createServer({ debug: false }, (session) => {
  session.on("error", () => {});
  session.on("close", () => sessions.delete(session));
  for (const bind of ["bind_transceiver", "bind_transmitter", "bind_receiver"]) {
    session.on(bind, (pdu) => {
      session.send(pdu.response());
      sessions.add(session);
    });
  }
  session.on("enquire_link", (pdu) => session.send(pdu.response()));
  session.on("unbind", (pdu) => {
    session.send(pdu.response());
    session.close();
  });
  session.on("submit_sm", (pdu) => {
    counter += 1;
    const id = String(counter);
    const message = pdu.short_message && pdu.short_message.message !== undefined
      ? pdu.short_message.message : pdu.short_message;
    const udh = pdu.short_message && pdu.short_message.udh
      ? pdu.short_message.udh.map((b) => Buffer.from(b).toString("hex")) : [];
    process.stdout.write(JSON.stringify({
      id, source: pdu.source_addr, destination: pdu.destination_addr,
      source_ton: pdu.source_addr_ton, data_coding: pdu.data_coding,
      esm_class: pdu.esm_class, registered_delivery: pdu.registered_delivery,
      message: typeof message === "string" ? message : String(message), udh,
    }) + "\n");
    session.send(pdu.response({ message_id: id }));
    const stat = pdu.destination_addr.endsWith("99") ? "UNDELIV" : "DELIVRD";
    setTimeout(() => {
      session.deliver_sm({
        source_addr: pdu.destination_addr,
        destination_addr: pdu.source_addr,
        esm_class: 4,
        short_message: receiptText(id, stat),
      });
    }, 20);
  });
});

const input = readline.createInterface({ input: process.stdin });
input.on("line", (line) => {
  const [command, source, destination, ...words] = line.split(" ");
  if (command !== "mo") return;
  for (const session of sessions) {
    session.deliver_sm({
      source_addr: source, destination_addr: destination, esm_class: 0,
      short_message: words.join(" "),
    });
  }
});

server.listen(port, "127.0.0.1", () => process.stdout.write(`listening ${port}\n`));
