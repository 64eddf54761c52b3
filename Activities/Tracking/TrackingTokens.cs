using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Activities.Tracking;

/// <summary><c>Tracking</c>: signing secret and public base URL of the Api's <c>/t/...</c> links.</summary>
public sealed class TrackingOptions
{
    public const string Section = "Tracking";

    /// <summary>HMAC key of the tracking links: configuration or environment only, at least 32 characters.</summary>
    public string SigningSecret { get; set; } = string.Empty;

    /// <summary>Where the Api is reachable from a customer's phone or mail client, e.g. <c>https://cart.example.com</c>.</summary>
    public string BaseUrl { get; set; } = string.Empty;

    /// <summary>The storefront's cart page a click lands on; without it the first item's page is used.</summary>
    public string? CartUrl { get; set; }

    /// <summary>
    /// How long a link counts engagement after it was made (the Worker stamps the expiry into the signed token; links
    /// made before tokens carried one expire this long after their message's <c>sent_at</c>). Default 60 days.
    /// </summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(60);

    /// <summary>Tracking is off (messages carry plain links, <c>/t/...</c> answers 404) until a secret or base URL is set.</summary>
    public bool Enabled => !string.IsNullOrEmpty(SigningSecret) || !string.IsNullOrEmpty(BaseUrl);

    public IEnumerable<string> Problems()
    {
        if (!Enabled)
        {
            yield break;
        }

        if (SigningSecret.Length < 32)
        {
            yield return "Tracking:SigningSecret is required (at least 32 characters)";
        }

        if (!IsHttpUrl(BaseUrl))
        {
            yield return "Tracking:BaseUrl must be an absolute http(s) URL";
        }

        if (CartUrl is not null && !IsHttpUrl(CartUrl))
        {
            yield return "Tracking:CartUrl must be an absolute http(s) URL";
        }
    }

    internal static bool IsHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
}

/// <summary>What a tracking link stands for; everything the Api needs is inside, so a click needs no lookup to redirect.</summary>
public sealed record TrackingToken
{
    public const string Click = "c";
    public const string Open = "o";

    [JsonPropertyName("k")]
    public required string Kind { get; init; }

    [JsonPropertyName("m")]
    public required long MessageId { get; init; }

    [JsonPropertyName("i")]
    public required string IdempotencyKey { get; init; }

    [JsonPropertyName("u")]
    public required string CustomerId { get; init; }

    [JsonPropertyName("ch")]
    public required string Channel { get; init; }

    /// <summary>Where a click goes; null for an open pixel.</summary>
    [JsonPropertyName("t")]
    public string? Target { get; init; }

    /// <summary>Unix seconds after which the link no longer counts; null in links made before links expired.</summary>
    [JsonPropertyName("e")]
    public long? Expires { get; init; }
}

/// <summary>
/// Signs and verifies tracking links: <c>base64url(payload).base64url(HMAC-SHA256(payload))</c>. The redirect
/// target is inside the signed payload, so the click endpoint can only send people where we sent them (no open redirect).
/// </summary>
public sealed class TrackingTokens(IOptions<TrackingOptions> options, TimeProvider? time = null)
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly byte[] key = Encoding.UTF8.GetBytes(options.Value.SigningSecret);
    private readonly string baseUrl = options.Value.BaseUrl.TrimEnd('/');

    public bool Enabled { get; } = options.Value.Enabled;

    /// <summary>The storefront cart page, when configured.</summary>
    public string? CartUrl { get; } = options.Value.CartUrl;

    public TimeSpan TokenLifetime { get; } = options.Value.TokenLifetime;

    public string Sign(TrackingToken token)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(token, Json);
        return $"{Base64Url.EncodeToString(payload)}.{Base64Url.EncodeToString(HMACSHA256.HashData(key, payload))}";
    }

    /// <summary>
    /// The link for <paramref name="token"/>: <c>{BaseUrl}/t/c/{token}</c> or <c>{BaseUrl}/t/o/{token}</c>, expiring
    /// <see cref="TokenLifetime"/> from now unless the token names its expiry.
    /// </summary>
    public string Url(TrackingToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var expires = token.Expires ?? (time ?? TimeProvider.System).GetUtcNow().Add(TokenLifetime).ToUnixTimeSeconds();
        return $"{baseUrl}/t/{token.Kind}/{Sign(token with { Expires = expires })}";
    }

    /// <summary>
    /// When a verified token stops counting: its own expiry, or for a token made before tokens carried one,
    /// <see cref="TokenLifetime"/> after <paramref name="sentAt"/> (its message's send time; null: already expired).
    /// </summary>
    public DateTimeOffset ExpiresAt(TrackingToken token, DateTimeOffset? sentAt)
    {
        ArgumentNullException.ThrowIfNull(token);
        return token.Expires is { } expires ? DateTimeOffset.FromUnixTimeSeconds(expires) : sentAt?.Add(TokenLifetime) ?? DateTimeOffset.MinValue;
    }

    /// <summary>The token when <paramref name="value"/> carries our signature over an intact payload of <paramref name="kind"/>; else null.</summary>
    public TrackingToken? Verify(string? value, string kind)
    {
        if (!Enabled)
        {
            return null;
        }

        var dot = value?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (dot <= 0 || dot == value!.Length - 1)
        {
            return null;
        }

        try
        {
            var payload = Base64Url.DecodeFromChars(value.AsSpan(0, dot));
            var signature = Base64Url.DecodeFromChars(value.AsSpan(dot + 1));
            if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, payload), signature))
            {
                return null;
            }

            var token = JsonSerializer.Deserialize<TrackingToken>(payload, Json);
            return token is not null && token.Kind == kind && (kind != TrackingToken.Click || TrackingOptions.IsHttpUrl(token.Target)) ? token : null;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
