using System.Security.Cryptography;
using System.Text;
using AbandonedCart.Activities.Channels;

namespace AbandonedCart.Tests.Channels;

public sealed class SendGridEventWebhookVerifierTests
{
    // SendGrid's own example (sendgrid-csharp tests/SendGrid.Tests/Helpers/EventWebhook/RequestValidatorTests.cs).
    private const string DocumentedKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
    private const string DocumentedPayload = "{\"category\":\"example_payload\",\"event\":\"test_event\",\"message_id\":\"message_id\"}";
    private const string DocumentedSignature = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
    private const string DocumentedTimestamp = "1588788367";

    [Fact]
    public void Verify_SendGridsDocumentedExample_IsAccepted()
    {
        using var verifier = new SendGridEventWebhookVerifier(DocumentedKey);

        Assert.True(verifier.Verify(Encoding.UTF8.GetBytes(DocumentedPayload), DocumentedSignature, DocumentedTimestamp));
    }

    [Theory]
    [InlineData("{\"category\":\"example_payload\",\"event\":\"test_event\",\"message_id\":\"message_iD\"}", DocumentedSignature, DocumentedTimestamp)]
    [InlineData(DocumentedPayload, DocumentedSignature, "1588788368")]
    [InlineData(DocumentedPayload, "signature", DocumentedTimestamp)]
    [InlineData(DocumentedPayload, "", DocumentedTimestamp)]
    [InlineData(DocumentedPayload, DocumentedSignature, null)]
    public void Verify_AlteredDocumentedExample_IsRejected(string payload, string? signature, string? timestamp)
    {
        using var verifier = new SendGridEventWebhookVerifier(DocumentedKey);

        Assert.False(verifier.Verify(Encoding.UTF8.GetBytes(payload), signature, timestamp));
    }

    [Fact]
    public void Verify_KeyPairGeneratedHere_AcceptsItsSignatureAndRejectsAnAlteredPayload()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = """[{"email":"ana@example.com","event":"open","sg_event_id":"ev-1","message_id":"9001","timestamp":1764000000}]""";
        const string timestamp = "1764000005";
        var signature = Convert.ToBase64String(
            signer.SignData(Encoding.UTF8.GetBytes(timestamp + payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        using var verifier = new SendGridEventWebhookVerifier(Convert.ToBase64String(signer.ExportSubjectPublicKeyInfo()));

        Assert.True(verifier.Verify(Encoding.UTF8.GetBytes(payload), signature, timestamp));
        Assert.False(verifier.Verify(Encoding.UTF8.GetBytes(payload.Replace("open", "click", StringComparison.Ordinal)), signature, timestamp));
        using var documented = new SendGridEventWebhookVerifier(DocumentedKey);
        Assert.False(documented.Verify(Encoding.UTF8.GetBytes(payload), signature, timestamp));
    }

    [Fact]
    public void IsRecent_TimestampOutsideTolerance_IsStale()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1764000000);

        Assert.True(SendGridEventWebhookVerifier.IsRecent("1763999900", now, TimeSpan.FromMinutes(5)));
        Assert.False(SendGridEventWebhookVerifier.IsRecent(DocumentedTimestamp, now, TimeSpan.FromMinutes(5)));
        Assert.False(SendGridEventWebhookVerifier.IsRecent("soon", now, TimeSpan.FromMinutes(5)));
    }
}
