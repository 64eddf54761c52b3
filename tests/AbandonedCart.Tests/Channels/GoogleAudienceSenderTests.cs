using System.Security.Cryptography;
using System.Text;
using AbandonedCart.Activities.Channels;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Tests.Channels;

public sealed class GoogleAudienceSenderTests : IAsyncLifetime
{
    private readonly RSA serviceAccountKey = RSA.Create(2048);
    private LoopbackPeer peer = null!;
    private HttpClient http = null!;
    private GoogleAudienceSender sender = null!;

    public async Task InitializeAsync()
    {
        peer = await LoopbackPeer.StartAsync();
        peer.Respond = r => r.Path == "/token"
            ? new PeerResponse(200, """{"access_token":"ya29.dm-test","expires_in":3599,"token_type":"Bearer"}""")
            : new PeerResponse(200, """{"requestId":"126365e1-16d0-4c81-9de9-f362711e250a"}""");
        http = new HttpClient();
        var account = new GoogleServiceAccount(FcmPushSenderTests.ServiceAccountJson(peer, serviceAccountKey), GoogleAudienceSender.Scope);
        sender = new GoogleAudienceSender(
            http,
            Options.Create(new GoogleAudienceOptions { OperatingAccountId = "1234567890", LoginAccountId = "9876543210", UserListId = "555666777", BaseUrl = peer.BaseUri.ToString() }),
            account);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        serviceAccountKey.Dispose();
        await peer.DisposeAsync();
    }

    [Fact]
    public void HashEmail_RemovesAllWhitespaceAndLowerCasesThenHashesHex()
    {
        // The Data Manager quickstart's own example rows: " AlexJ@cymbalgroup.com" and "baklavainthebalkans@gmail.com  ".
        Assert.Equal(Sha256Hex("alexj@cymbalgroup.com"), GoogleAudienceSender.HashEmail(" AlexJ@cymbalgroup.com"));
        Assert.Equal(Sha256Hex("baklavainthebalkans@gmail.com"), GoogleAudienceSender.HashEmail("baklavainthebalkans@gmail.com  "));
        Assert.Equal(Sha256Hex("cloudysanfrancisco@gmail.com"), GoogleAudienceSender.HashEmail("cloudy San Francisco@GMAIL.com"));

        // No gmail dot rewriting: the Data Manager API does not document one.
        Assert.NotEqual(GoogleAudienceSender.HashEmail("ana.silva@gmail.com"), GoogleAudienceSender.HashEmail("anasilva@gmail.com"));
    }

    [Fact]
    public async Task AddAsync_Email_IngestsOneHashedMemberWithConsentAndTermsUsingTheServiceAccountToken()
    {
        await sender.AddAsync("cust-42", "Ana.Silva@example.com", "aud:cust-42:add", CancellationToken.None);

        FcmPushSenderTests.AssertJwtBearerGrant(peer.Single("/token"), serviceAccountKey, "https://www.googleapis.com/auth/datamanager");
        var request = peer.Single("/v1/audienceMembers:ingest");
        Assert.Equal("POST", request.Method);
        Assert.Equal("Bearer ya29.dm-test", request.Header("Authorization"));
        var body = request.Json;
        var destination = Assert.Single(body.GetProperty("destinations").EnumerateArray());
        Assert.Equal("GOOGLE_ADS", destination.GetProperty("operatingAccount").GetProperty("accountType").GetString());
        Assert.Equal("1234567890", destination.GetProperty("operatingAccount").GetProperty("accountId").GetString());
        Assert.Equal("9876543210", destination.GetProperty("loginAccount").GetProperty("accountId").GetString());
        Assert.Equal("555666777", destination.GetProperty("productDestinationId").GetString());
        var member = Assert.Single(body.GetProperty("audienceMembers").EnumerateArray());
        var identifier = Assert.Single(member.GetProperty("userData").GetProperty("userIdentifiers").EnumerateArray());
        Assert.Equal(Sha256Hex("ana.silva@example.com"), identifier.GetProperty("emailAddress").GetString());
        Assert.Equal("HEX", body.GetProperty("encoding").GetString());
        Assert.Equal("CONSENT_GRANTED", body.GetProperty("consent").GetProperty("adPersonalization").GetString());
        Assert.Equal("ACCEPTED", body.GetProperty("termsOfService").GetProperty("customerMatchTermsOfServiceStatus").GetString());
    }

    [Fact]
    public async Task RemoveAsync_Email_CallsRemoveWithTheSameHashedMember()
    {
        await sender.RemoveAsync("cust-42", "ana.silva@example.com", "aud:cust-42:remove", CancellationToken.None);

        var request = peer.Single("/v1/audienceMembers:remove");
        var identifier = request.Json.GetProperty("audienceMembers")[0].GetProperty("userData").GetProperty("userIdentifiers")[0];
        Assert.Equal(Sha256Hex("ana.silva@example.com"), identifier.GetProperty("emailAddress").GetString());
        Assert.False(request.Json.TryGetProperty("consent", out _));
    }

    [Fact]
    public async Task AddAsync_ThrottledOrFailingOrBadRequest_MapsToRetryOrReject()
    {
        await sender.AddAsync("cust-42", "ana@example.com", "k", CancellationToken.None); // the access token is cached from here on

        await ProviderTest.AssertStatusMappingAsync(
            peer,
            () => sender.AddAsync("cust-42", "ana@example.com", "k", CancellationToken.None),
            """{"error":{"code":400,"message":"Request contains an invalid argument.","status":"INVALID_ARGUMENT"}}""");
    }

    private static string Sha256Hex(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
