package org.twinsign.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class SmtpServerTest {

  @Test
  void aMailSentThroughAngusMailArrives() throws Exception {
    try (SmtpServer smtp = SmtpServer.start().withUser("alerts@twinsign.test", "alerts", "s3cret-for-test")) {
      Properties properties = new Properties();
      properties.put("mail.smtp.host", smtp.host());
      properties.put("mail.smtp.port", Integer.toString(smtp.port()));
      properties.put("mail.smtp.auth", "true");
      properties.put("mail.smtp.connectiontimeout", "5000");
      properties.put("mail.smtp.timeout", "5000");
      Session session = Session.getInstance(properties);
      assertEquals("org.eclipse.angus.mail.smtp.SMTPTransport",
          session.getTransport("smtp").getClass().getName(), "the SMTP transport must be Angus Mail's");

      MimeMessage message = new MimeMessage(session);
      message.setFrom(new InternetAddress("alerts@twinsign.test"));
      message.setRecipient(Message.RecipientType.TO, new InternetAddress("dns-operators@example.test"));
      message.setSubject("[twinsign] KSK rollover for example.test. waits for ds-seen");
      message.setText("Submit the new DS to the parent, then run: twinsign key ds-seen --zone example.test.");
      Transport.send(message, "alerts", "s3cret-for-test");

      assertTrue(smtp.awaitMessages(1, Duration.ofSeconds(10)), "the mail must arrive");
      MimeMessage received = smtp.receivedMessages().get(0);
      assertEquals("[twinsign] KSK rollover for example.test. waits for ds-seen", received.getSubject());
      assertEquals("dns-operators@example.test", received.getAllRecipients()[0].toString());
      assertTrue(received.getContent().toString().contains("key ds-seen"));
    }
  }
}
