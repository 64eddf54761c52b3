using AbandonedCart.Activities.Channels;

namespace AbandonedCart.Tests.Channels;

public sealed class TwilioSignatureVerifierTests
{
    // Twilio's documented request-validation example (docs "Webhooks security"; the same vector is in twilio-csharp's
    // RequestValidatorTest): auth token 12345, this URL and these POST parameters.
    private const string Url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    private const string Signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    private readonly TwilioSignatureVerifier verifier = new("12345");

    [Fact]
    public void Verify_TwiliosDocumentedExample_IsAccepted() => Assert.True(verifier.Verify(Url, Documented(), Signature));

    [Fact]
    public void Verify_DocumentedExampleInAnotherParameterOrder_IsAccepted() =>
        Assert.True(verifier.Verify(Url, Documented().Reverse(), Signature));

    [Fact]
    public void Verify_DocumentedExampleWithExplicitDefaultPort_IsAccepted() =>
        Assert.True(verifier.Verify("https://mycompany.com:443/myapp.php?foo=1&bar=2", Documented(), Signature));

    [Fact]
    public void Verify_AlteredParameter_IsRejected() =>
        Assert.False(verifier.Verify(Url, Documented().Select(p => p.Key == "Digits" ? new KeyValuePair<string, string>("Digits", "9999") : p), Signature));

    [Fact]
    public void Verify_ExtraParameter_IsRejected() =>
        Assert.False(verifier.Verify(Url, Documented().Append(new("Body", "STOP")), Signature));

    [Fact]
    public void Verify_AlteredUrl_IsRejected() => Assert.False(verifier.Verify(Url + "&baz=3", Documented(), Signature));

    [Theory]
    [InlineData("RSOYDt4T1cUTdK1PDd93/VVr8B9=")]
    [InlineData("RSOYDt4T1cUTdK1PDd93/VVr8C8=")]
    [InlineData("not base64")]
    [InlineData("")]
    [InlineData(null)]
    public void Verify_AlteredOrMissingSignature_IsRejected(string? signature) => Assert.False(verifier.Verify(Url, Documented(), signature));

    [Fact]
    public void Verify_OtherAuthToken_IsRejected() => Assert.False(new TwilioSignatureVerifier("54321").Verify(Url, Documented(), Signature));

    private static IEnumerable<KeyValuePair<string, string>> Documented() =>
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("Caller", "+14158675309"),
        new("Digits", "1234"),
        new("From", "+14158675309"),
        new("To", "+18005551212"),
    ];
}
