{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | The wire codec: varints, framing errors, unknown fields, hand-checked bytes.
module WireSpec (spec) where

import           Control.Exception          (evaluate)
import qualified Data.ByteString            as BS
import qualified Data.ByteString.Builder    as B
import qualified Data.ByteString.Lazy       as BL
import           Data.ByteString            (ByteString)
import           Data.Either                (isLeft)
import           Data.Word                  (Word64)
import           Generators                 ()
import           System.Mesos.Internal.Wire
import           System.Mesos.Types
import           Test.Hspec
import           Test.Hspec.QuickCheck      (prop)
import           Test.QuickCheck

build :: B.Builder -> ByteString
build = BL.toStrict . B.toLazyByteString

-- Every wire type, with field numbers no record uses.
unknownFields :: ByteString
unknownFields = build $
  varintField 900 12345
    <> doubleField 901 1.5
    <> bytesField 902 "ignored"
    <> B.word8 0xed <> B.word8 0x38 -- field 903, fixed32
    <> B.word32LE 7
    <> B.word8 0xe3 <> B.word8 0x38 -- field 904, start group
    <> varintField 1 1 <> bytesField 2 "inside a group"
    <> B.word8 0xe4 <> B.word8 0x38 -- field 904, end group

spec :: Spec
spec = do
  describe "varints" $ do
    prop "decodeVarint . encodeVarint == id" $ \(n :: Word64) (rest :: ByteString) ->
      decodeVarint (build (encodeVarint n) <> rest) === Right (n, rest)
    it "encodes 300 as ac 02" $ build (encodeVarint 300) `shouldBe` BS.pack [0xac, 0x02]
    it "rejects a truncated varint" $ decodeVarint (BS.pack [0x80, 0x80]) `shouldSatisfy` isLeft
    it "rejects a varint longer than 10 bytes" $
      decodeVarint (BS.replicate 11 0xff <> BS.singleton 0) `shouldSatisfy` isLeft
    it "writes a negative enum as ten bytes, reads it back" $ do
      let bytes = build (enumField 2 (-3))
      BS.length bytes `shouldBe` 11
      (parseFields bytes >>= optEnum 2) `shouldBe` Right (Just (-3))

  describe "hand-checked encodings" $ do
    it "TaskID" $ encodeMessage (TaskID "abc") `shouldBe` BS.pack [0x0a, 0x03, 0x61, 0x62, 0x63]
    it "Filters" $
      encodeMessage (Filters (Just 1.0)) `shouldBe` BS.pack [0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]
    it "empty Filters" $ encodeMessage (Filters Nothing) `shouldBe` BS.empty
    it "a scalar resource" $
      encodeMessage (resource "cpus" (Scalar 2))
        `shouldBe` BS.pack ([0x0a, 0x04] ++ map (fromIntegral . fromEnum) "cpus"
                            ++ [0x10, 0x00, 0x1a, 0x09, 0x09, 0, 0, 0, 0, 0, 0, 0, 0x40])
    it "TaskStatus TASK_LOST with a uuid" $
      encodeMessage (TaskStatus "t" Lost Nothing Nothing Nothing Nothing Nothing Nothing Nothing (Just "\1\2") Nothing)
        `shouldBe` BS.pack [0x0a, 0x03, 0x0a, 0x01, 0x74, 0x10, 0x05, 0x5a, 0x02, 0x01, 0x02]

  describe "decoding" $ do
    prop "skips unknown fields of every wire type" $ \(s :: TaskStatus) ->
      decodeMessage (unknownFields <> encodeMessage s <> unknownFields) === Right s
    prop "merges repeated occurrences of an embedded message" $ \(a :: TaskID) (b :: TaskID) ->
      let bytes = build (messageField 1 a <> messageField 1 b <> enumField 2 1)
      in fmap taskStatusTaskId (decodeMessage bytes) === Right b
    it "reads packed and unpacked repeated varints" $ do
      let packed = build (bytesField 4 (build (encodeVarint 200 <> encodeVarint 404)) <> varintField 4 500)
      (parseFields packed >>= repVarint 4) `shouldBe` Right [200, 404, 500]
    it "last occurrence of a scalar wins" $
      (parseFields (build (varintField 3 1 <> varintField 3 2)) >>= optVarint 3) `shouldBe` Right (Just 2)
    it "reports a missing required field" $
      (decodeMessage (build (enumField 2 1)) :: Either String TaskStatus)
        `shouldBe` Left "missing required field task_id (1)"
    it "reports a truncated length-delimited field" $
      (decodeMessage (BS.pack [0x0a, 0x05, 0x61]) :: Either String TaskID) `shouldSatisfy` isLeft
    it "reports a wire-type mismatch" $
      (decodeMessage (build (varintField 1 7)) :: Either String TaskID) `shouldSatisfy` isLeft
    it "rejects field number 0 and wire types 6/7" $ do
      parseFields (BS.pack [0x00, 0x01]) `shouldSatisfy` isLeft
      parseFields (BS.pack [0x0e]) `shouldSatisfy` isLeft
    prop "a truncated message gives Left or a record, never an exception" $ \(s :: TaskStatus) (Positive cut) ->
      let bytes = encodeMessage s
          truncated = BS.take (BS.length bytes - 1 - cut `mod` max 1 (BS.length bytes)) bytes
      in ioProperty $ do
           n <- evaluate (length (either id show (decodeMessage truncated :: Either String TaskStatus)))
           return (n > 0)
    prop "never throws on arbitrary bytes" $ \(bytes :: ByteString) -> ioProperty $ do
      let results = [ either id show (decodeMessage bytes :: Either String TaskStatus)
                    , either id show (decodeMessage bytes :: Either String Offer)
                    , either id show (decodeMessage bytes :: Either String MasterInfo)
                    , either id show (decodeMessage bytes :: Either String TaskInfo) ]
      n <- evaluate (sum (map length results))
      return (n >= 0)
