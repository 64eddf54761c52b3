using System.Security.Cryptography;
using System.Text;
using AbandonedCart.Activities.Channels;

namespace AbandonedCart.Tests.Channels;

public sealed class TwilioSignatureVerifierTests
{
    // Twilio's documented request-validation example (docs "Webhooks security"; the same vector is in twilio-csharp's
    // RequestValidatorTest): auth token 12345, this URL and these POST parameters.
    private const string Url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    private const string Signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    private readonly TwilioSignatureVerifier verifier = new("12345");

    // The JSON-body variant, as the Twilio helper libraries test it (twilio-node's validateRequestWithBody vector):
    // the same auth token, this body, its SHA-256 hex as bodySHA256, and the signature over the URL alone.
    private const string JsonBody = """{"property": "value", "boolean": true}""";
    private const string JsonUrl = "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
    private const string JsonSignature = "a9nBmqA0ju/hNViExpshrM61xv4=";

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

    [Fact]
    public void VerifyBody_TwilioHelperLibraryJsonExample_IsAccepted() =>
        Assert.True(verifier.VerifyBody(JsonUrl, Encoding.UTF8.GetBytes(JsonBody), JsonSignature));

    [Fact]
    public void VerifyBody_JsonExampleWithExplicitDefaultPort_IsAccepted() =>
        Assert.True(verifier.VerifyBody(JsonUrl.Replace("mycompany.com/", "mycompany.com:443/", StringComparison.Ordinal), Encoding.UTF8.GetBytes(JsonBody), JsonSignature));

    [Theory]
    [InlineData("""{"property": "value", "boolean": false}""")]
    [InlineData("""{"property": "value", "boolean": true} """)]
    [InlineData("")]
    public void VerifyBody_AlteredBody_IsRejected(string body) =>
        Assert.False(verifier.VerifyBody(JsonUrl, Encoding.UTF8.GetBytes(body), JsonSignature));

    [Fact]
    public void VerifyBody_BodyAndHashReplacedTogether_IsRejected()
    {
        // An attacker can recompute the hash of a new body, but not the signature over the URL that carries it.
        const string forged = """{"property": "other"}""";
        var url = $"https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256={Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(forged)))}";

        Assert.False(verifier.VerifyBody(url, Encoding.UTF8.GetBytes(forged), JsonSignature));
    }

    [Theory]
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2")]
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=")]
    public void VerifyBody_NoBodySha256InUrl_IsRejected(string url) =>
        Assert.False(verifier.VerifyBody(url, Encoding.UTF8.GetBytes(JsonBody), JsonSignature));

    [Fact]
    public void VerifyBody_OtherAuthToken_IsRejected() =>
        Assert.False(new TwilioSignatureVerifier("54321").VerifyBody(JsonUrl, Encoding.UTF8.GetBytes(JsonBody), JsonSignature));

    [Fact]
    public void Verify_FormVerifierOnJsonExample_IsRejected() =>
        Assert.False(verifier.Verify(JsonUrl, [new("property", "value")], JsonSignature));

    private static IEnumerable<KeyValuePair<string, string>> Documented() =>
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("Caller", "+14158675309"),
        new("Digits", "1234"),
        new("From", "+14158675309"),
        new("To", "+18005551212"),
    ];
}
