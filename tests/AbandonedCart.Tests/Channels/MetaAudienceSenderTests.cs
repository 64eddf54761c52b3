using System.Security.Cryptography;
using System.Text;
using AbandonedCart.Activities.Channels;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Tests.Channels;

public sealed class MetaAudienceSenderTests : IAsyncLifetime
{
    private const string Accepted = """{"audience_id":"23851234567890123","session_id":"9778993","num_received":1,"num_invalid_entries":0,"invalid_entry_samples":{}}""";
    private LoopbackPeer peer = null!;
    private HttpClient http = null!;
    private MetaAudienceSender sender = null!;

    public async Task InitializeAsync()
    {
        peer = await LoopbackPeer.StartAsync();
        peer.Respond = _ => new PeerResponse(200, Accepted);
        http = new HttpClient();
        sender = new MetaAudienceSender(http, Options.Create(new MetaOptions
        {
            AccessToken = "meta-system-user-token", AudienceId = "23851234567890123", BaseUrl = peer.BaseUri.ToString(),
        }));
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await peer.DisposeAsync();
    }

    [Fact]
    public void HashEmail_TrimsAndLowerCasesThenHashesHex()
    {
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("ana.silva@example.com")));

        Assert.Equal(expected, MetaAudienceSender.HashEmail("  Ana.Silva@Example.COM \t"));
        Assert.Matches("^[0-9a-f]{64}$", expected);
    }

    [Fact]
    public async Task AddAsync_Email_PostsEmailSha256PayloadToTheAudienceUsersEdge()
    {
        await sender.AddAsync("cust-42", " Ana.Silva@example.com", "aud:cust-42:add", CancellationToken.None);

        var request = peer.Single("/v21.0/23851234567890123/users");
        Assert.Equal("POST", request.Method);
        Assert.Equal("Bearer meta-system-user-token", request.Header("Authorization"));
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        var payload = request.Json.GetProperty("payload");
        Assert.Equal("EMAIL_SHA256", payload.GetProperty("schema").GetString());
        Assert.Equal(MetaAudienceSender.HashEmail("ana.silva@example.com"), Assert.Single(payload.GetProperty("data").EnumerateArray()).GetString());
        Assert.DoesNotContain("ana", request.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RemoveAsync_Email_SendsDeleteWithTheSamePayload()
    {
        await sender.RemoveAsync("cust-42", "ana.silva@example.com", "aud:cust-42:remove", CancellationToken.None);

        var request = peer.Single("/v21.0/23851234567890123/users");
        Assert.Equal("DELETE", request.Method);
        Assert.Equal("EMAIL_SHA256", request.Json.GetProperty("payload").GetProperty("schema").GetString());
    }

    [Fact]
    public async Task AddAsync_AudienceThrottledWith400_IsRetryable()
    {
        peer.Respond = _ => new PeerResponse(400, """{"error":{"message":"There have been too many calls for this ad-account.","type":"OAuthException","code":80003,"fbtrace_id":"A1b2"}}""");

        await ProviderTest.RetryableAsync(() => sender.AddAsync("cust-42", "ana@example.com", "k", CancellationToken.None));
    }

    [Fact]
    public async Task AddAsync_ThrottledOrFailingOrBadRequest_MapsToRetryOrReject() =>
        await ProviderTest.AssertStatusMappingAsync(
            peer,
            () => sender.AddAsync("cust-42", "ana@example.com", "k", CancellationToken.None),
            """{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"fbtrace_id":"A1b2"}}""");
}
