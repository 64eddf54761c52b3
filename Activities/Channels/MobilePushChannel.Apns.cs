using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AbandonedCart.Activities.Customers;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Activities.Channels;

/// <summary><c>Providers:Apns</c>: token-based (.p8) authentication for raw Apple device tokens.</summary>
public sealed class ApnsOptions : IProviderOptions
{
    public const string Section = "Providers:Apns";

    public string TeamId { get; set; } = string.Empty;

    public string KeyId { get; set; } = string.Empty;

    /// <summary>The .p8 key's PEM text (a secret), or set <see cref="PrivateKeyFile"/>.</summary>
    public string? PrivateKey { get; set; }

    public string? PrivateKeyFile { get; set; }

    /// <summary>The app's bundle id, sent as <c>apns-topic</c>.</summary>
    public string BundleId { get; set; } = string.Empty;

    public int TtlSeconds { get; set; } = 3600;

    /// <summary>Production; <c>https://api.sandbox.push.apple.com</c> for development builds.</summary>
    public string BaseUrl { get; set; } = "https://api.push.apple.com";

    public IEnumerable<string> Problems()
    {
        if (TeamId.Length != 10 || KeyId.Length != 10)
        {
            yield return "TeamId and KeyId must be Apple's 10-character ids";
        }

        if (string.IsNullOrWhiteSpace(BundleId))
        {
            yield return "BundleId is required";
        }

        string? problem = null;
        try
        {
            using var key = ApnsProviderToken.LoadKey(this);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException or IOException or InvalidOperationException)
        {
            problem = "PrivateKey or PrivateKeyFile must hold the .p8 (PKCS#8 P-256) key";
        }

        if (problem is not null)
        {
            yield return problem;
        }
    }
}

/// <summary>The APNs provider token: an ES256 JWT reused for 50 minutes (Apple refuses tokens older than an hour and
/// throttles tokens renewed more often than every 20 minutes).</summary>
public sealed class ApnsProviderToken : IDisposable
{
    private static readonly TimeSpan Reuse = TimeSpan.FromMinutes(50);
    private readonly ECDsa key;
    private readonly ApnsOptions options;
    private readonly TimeProvider time;

    public ApnsProviderToken(IOptions<ApnsOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        this.time = time;
        key = LoadKey(this.options);
        Cache = new CachedToken(time);
    }

    public CachedToken Cache { get; }

    public Task<string> GetAsync(CancellationToken cancellationToken) =>
        Cache.GetAsync(_ => Task.FromResult(Create()), cancellationToken);

    public void Dispose()
    {
        key.Dispose();
        Cache.Dispose();
    }

    internal static ECDsa LoadKey(ApnsOptions options)
    {
        var pem = !string.IsNullOrWhiteSpace(options.PrivateKey) ? options.PrivateKey
            : !string.IsNullOrWhiteSpace(options.PrivateKeyFile) ? File.ReadAllText(options.PrivateKeyFile)
            : throw new InvalidOperationException("No APNs key.");
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return key;
    }

    private (string, DateTimeOffset) Create()
    {
        var now = time.GetUtcNow();
        var header = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "ES256", ["kid"] = options.KeyId }));
        var claims = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["iss"] = options.TeamId, ["iat"] = now.ToUnixTimeSeconds() }));
        var input = $"{header}.{claims}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return ($"{input}.{Base64Url.EncodeToString(signature)}", now + Reuse);
    }
}

/// <summary>APNs over HTTP/2: <c>POST /3/device/{token}</c> with the provider token.</summary>
public sealed class ApnsPushSender(HttpClient http, IOptions<ApnsOptions> options, ApnsProviderToken providerToken) : IPushTokenSender
{
    public const string Name = "apns";

    public string Provider => Name;

    public string TokenProperty => "apns_token";

    public string? TokenOf(CustomerProfile customer) => customer?.ApnsToken;

    public async Task<ProviderReceipt> SendAsync(OutboundMessage message, string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length < 32 || !token.All(char.IsAsciiHexDigit))
        {
            throw ProviderErrors.Rejected(Name, "the device token is not hexadecimal", ProviderErrors.TokenInvalid, TokenProperty);
        }

        var o = options.Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{o.BaseUrl.TrimEnd('/')}/3/device/{token}"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = JsonContent.Create(Payload(message)),
        };
        request.Headers.TryAddWithoutValidation("authorization", $"bearer {await providerToken.GetAsync(cancellationToken)}");
        request.Headers.Add("apns-topic", o.BundleId);
        request.Headers.Add("apns-push-type", "alert");
        request.Headers.Add("apns-priority", "10");
        request.Headers.Add("apns-expiration", DateTimeOffset.UtcNow.AddSeconds(o.TtlSeconds).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));

        // Our id, derived from the idempotency key: a retried send carries the same apns-id. APNs does not deduplicate
        // on it, but on apns-collapse-id the device shows a retried copy in place of the earlier one.
        request.Headers.Add("apns-id", MessageText.IdempotencyUuid(message.IdempotencyKey).ToString());
        request.Headers.Add("apns-collapse-id", MessageText.CollapseId(message.IdempotencyKey));

        using var response = await ProviderErrors.SendAsync(http, request, Name, cancellationToken, Classify, TokenProperty);
        return new ProviderReceipt(Name, response.Headers.TryGetValues("apns-id", out var ids) ? ids.FirstOrDefault() : null);
    }

    private static Dictionary<string, object?> Payload(OutboundMessage message) => new()
    {
        ["aps"] = new Dictionary<string, object>
        {
            ["alert"] = new Dictionary<string, string> { ["title"] = MessageText.Title(message), ["body"] = MessageText.Body(message) },
            ["sound"] = "default",
            ["mutable-content"] = 1,
        },
        ["url"] = MessageText.Link(message),
        ["image"] = MessageText.Image(message),
        ["message_id"] = message.MessageId.ToString(CultureInfo.InvariantCulture),
    };

    // APNs answers {"reason":"BadDeviceToken"} (400), {"reason":"Unregistered"} (410), {"reason":"ExpiredProviderToken"} (403).
    private string? Classify(int status, string body)
    {
        var reason = ProviderErrors.ReadJson(body, root => root.TryGetProperty("reason", out var r) ? r.GetString() : null);
        if (reason == "ExpiredProviderToken")
        {
            providerToken.Cache.Invalidate();
            return ProviderErrors.ProviderUnavailable;
        }

        return status == 410 || reason is "BadDeviceToken" or "DeviceTokenNotForTopic" or "Unregistered" ? ProviderErrors.TokenInvalid : null;
    }
}
